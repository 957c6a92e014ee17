"""``python -m hnet.bench``: training-step costs measured in one run on the current device.

Prints ms per training step of the plain target network, of HNET at task 1 and of HNET at task 10
of PermutedMNIST-10 (9 previous tasks in the regulariser), and the regulariser's cost (lookahead
parameters, penalty, its backward pass) at 1, 10 and 99 previous tasks with the PermutedMNIST-100
preset, for the fast (Gram) and the reference implementation, as ratios. Inputs are random
tensors of MNIST's shape: the costs do not depend on the pixel values.
"""

from __future__ import annotations

import argparse
import statistics

import torch

from hnet.benchmarks import Benchmark, Scenario, Task
from hnet.core import Context
from hnet.methods.lookahead import adam_step_delta
from hnet.run.config import resolve
from hnet.run.execute import resolve_device
from hnet.tools.bench_common import hnet_at_task, make_method, step_fn, timed


def regulariser_fn(method, subset: int = 0):
    """The regulariser's share of a step: lookahead params, penalty and its backward pass."""
    hnet = method.ph.hnet
    for p in hnet.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    device = next(hnet.parameters()).device

    def fn():
        named = dict(hnet.named_parameters())
        delta = adam_step_delta(method.ph.opt_h)
        params = {k: p + delta[p] for k, p in named.items()}
        index = torch.randperm(len(method.ph.embs))[:subset].to(device) if subset else None
        reg = method.ph.penalty(params, index)
        reg.backward()

    return fn


def features_fn(method):
    """The part that must grow with T: hidden features of every (previous task, chunk) pair, fwd + bwd."""
    hnet = method.ph.hnet
    embs = torch.stack(method.ph.embs)

    def fn():
        hnet.features(embs).sum().backward()

    return fn


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--skip-reference", action="store_true", help="skip the slow reference regulariser")
    ap.add_argument("--per-sample-subset", type=int, default=1000, help="images timed in the per-sample ENT loop")
    ap.add_argument("--only-ent", action="store_true", help="only the HNET+ENT evaluation benchmark")
    ap.add_argument("--cifar", action="store_true", help="only the split CIFAR lines (ResNet-32, ZenkeNet)")
    ap.add_argument("--cifar-epoch", action="store_true", help="with --cifar: also time one full epoch of task 1")
    ap.add_argument("--fisher", action="store_true",
                    help="only the diagonal Fisher line: the MLP fast path vs per-sample gradients")
    ap.add_argument("--pm100", action="store_true",
                    help="only PermutedMNIST-100 HNET: step cost at tasks 1/10/50/100, target memory, one seed's time")
    ap.add_argument("--packing", action="store_true",
                    help="only the seed-packing lines: runs/h unpacked vs S seeds packed (hnet.tools.bench_packing)")
    ap.add_argument("--pack-sizes", default="5,20", help="with --packing: the S values (default 5,20)")
    ap.add_argument("--pack-iterations", type=int, default=50, help="with --packing: iterations per task of the timed runs")
    ap.add_argument("--pack-cells", help="with --packing: only these cells, e.g. split_mnist/cl1/hnet,split_mnist/cl1/ewc")
    args = ap.parse_args(argv)
    device = resolve_device(args.device)
    print(f"device: {device} ({torch.get_num_threads()} CPU threads)")
    if args.only_ent:
        ent_evaluation(device, args.per_sample_subset)
        return 0
    if args.fisher:
        fisher_line(device, max(2, args.repeats // 10))
        return 0
    if args.pm100:
        from hnet.tools.bench_pm100 import pm100_lines

        pm100_lines(device, max(3, args.repeats // 4))
        return 0
    if args.packing:
        from hnet.tools.bench_packing import packing_lines

        sizes = tuple(int(v) for v in args.pack_sizes.split(","))
        packing_lines(device, sizes, args.pack_iterations, max(2, args.repeats // 10),
                      args.pack_cells.split(",") if args.pack_cells else None)
        return 0
    if args.cifar:
        from hnet.tools.bench_cifar import cifar_lines

        cifar_lines(device, args.repeats, args.cifar_epoch)
        return 0

    print("\nPermutedMNIST-10 preset, one training step (batch 128):")
    plain, bench, cfg = make_method("permuted_mnist", "finetune", device)
    t_plain = timed(step_fn(plain, bench, cfg, 0), device, args.repeats)
    h1, bench, cfg = hnet_at_task("permuted_mnist", 0, device)
    t_h1 = timed(step_fn(h1, bench, cfg, 0), device, args.repeats)
    h10, bench, cfg = hnet_at_task("permuted_mnist", 9, device)
    t_h10 = timed(step_fn(h10, bench, cfg, 9), device, args.repeats)
    print(f"  plain target network   {t_plain:8.1f} ms")
    print(f"  HNET task 1            {t_h1:8.1f} ms   ratio {t_h1 / t_plain:5.2f} x plain (target <= 2)")
    print(f"  HNET task 10           {t_h10:8.1f} ms   ratio {t_h10 / t_plain:5.2f} x plain (target <= 3)")
    if not args.skip_reference:
        r10, bench, cfg = hnet_at_task("permuted_mnist", 9, device, reg_impl="reference")
        t_r10 = timed(step_fn(r10, bench, cfg, 9), device, max(3, args.repeats // 4))
        print(f"  HNET task 10 reference {t_r10:8.1f} ms   ratio {t_r10 / t_plain:5.2f} x plain")

    print("\nPermutedMNIST-100 preset, regulariser cost (lookahead + penalty + backward):")
    base = None
    for prev in (1, 10, 99):
        m, _, _ = hnet_at_task("permuted_mnist_100", prev, device)
        t = timed(regulariser_fn(m), device, max(3, args.repeats // 2))
        base = base or t
        line = f"  {prev:3d} previous tasks  gram {t:8.1f} ms   ratio {t / base:5.2f} x (1 task)"
        if not args.skip_reference and prev <= 10:
            r, _, _ = hnet_at_task("permuted_mnist_100", prev, device, reg_impl="reference")
            tr = timed(regulariser_fn(r), device, 3, warmup=1)
            line += f"   reference {tr:8.1f} ms ({tr / t:4.1f} x gram)"
        print(line + ("   (target <= 3)" if prev == 99 else ""))
        if prev == 99:
            tf = timed(features_fn(m), device, 3, warmup=1)
            m.ph.hnet.zero_grad()
            ts = timed(regulariser_fn(m, subset=10), device, max(3, args.repeats // 2))
            # Any exact evaluation of the sum needs every previous task's hidden features under the
            # current weights (the hidden layers are nonlinear): this part alone bounds the ratio from below.
            print(f"      of which hidden features of 99 x {m.ph.hnet.n_chunks} (task, chunk) pairs, fwd+bwd: {tf:8.1f} ms"
                  f"   = {(base + tf) / base:5.2f} x (1 task) with nothing else: a floor for any exact method")
            print(f"      with reg_subset=10 (10 random previous tasks per step): {ts:8.1f} ms   "
                  f"ratio {ts / base:5.2f} x (1 task)")
        del m

    ent_evaluation(device, args.per_sample_subset)
    return 0


def fisher_line(device, repeats: int) -> None:
    """EWC's diagonal Fisher on the PermutedMNIST network (1024-1000-1000, 100 outputs, CL1 masks)
    for 500 samples: the MLP fast path vs per-sample gradients, interleaved."""
    from baselines.fisher import diagonal_fisher
    from hnet.nets import MLP

    torch.manual_seed(0)
    net = MLP(1024, [1000, 1000], 100, "relu")
    params = [p.to(device) for p in net.init_params()]
    x = torch.rand(500, 1024, device=device)
    batch = [(x, torch.randint(0, 10, (500,), device=device), torch.zeros(500, dtype=torch.long, device=device))]
    scenario = Scenario("cl1", 10, 10)
    times = {"fast": [], "per-sample": []}
    for _ in range(repeats):
        for name, mlp in (("fast", net), ("per-sample", None)):
            times[name].append(timed(lambda: diagonal_fisher(net, params, scenario, batch, 1, mlp=mlp), device, 1, 0))
    fast, slow = statistics.median(times["fast"]), statistics.median(times["per-sample"])
    print(f"\nDiagonal Fisher, PermutedMNIST MLP, 500 samples x 10 classes ({repeats} interleaved repeats, medians):")
    print(f"  per-sample gradients  {slow / 1000:8.2f} s")
    print(f"  MLP fast path         {fast / 1000:8.2f} s   ratio {slow / fast:6.1f} x faster")


def ent_evaluation(device, subset: int) -> None:
    """HNET+ENT on SplitMNIST CL3 after 5 tasks: the full 10,000-image test set, batched vs per sample."""
    from hnet.methods.ent import HNETEntropy

    cfg, _ = resolve("split_mnist", "cl3", "hnet_ent")
    x = torch.rand(10000, 784, device=device)
    y = torch.zeros(10000, dtype=torch.long, device=device)
    bench = Benchmark("split_mnist", [Task(t, x, y, x, y, [2 * t, 2 * t + 1]) for t in range(5)], (784,), 2)
    torch.manual_seed(0)
    m = HNETEntropy(Context(bench, Scenario("cl3", 5, 2), cfg, device))
    m.ph.embs = [torch.randn(cfg["emb_dim"], device=device) for _ in range(5)]

    def batched():
        for s in range(0, len(x), cfg["eval_batch_size"]):
            m.infer(x[s : s + cfg["eval_batch_size"]], 5)

    t_batched = timed(batched, device, 3, warmup=1)
    t_sub = timed(lambda: m.infer_per_sample(x[:subset], 5), device, 1, warmup=0)
    t_loop = t_sub * len(x) / subset
    print("\nHNET+ENT evaluation, SplitMNIST CL3 after 5 tasks, 10,000 test images:")
    print(f"  batched      {t_batched / 1000:8.3f} s   (target < 2 s)")
    print(f"  per sample   {t_loop / 1000:8.3f} s   (measured on {subset} images, scaled linearly)")
    print(f"  ratio        {t_loop / t_batched:8.1f} x")


if __name__ == "__main__":
    raise SystemExit(main())
