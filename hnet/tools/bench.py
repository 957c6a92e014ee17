"""``python -m hnet.bench``: training-step costs measured in one run on the current device.

Every ratio comes from one process: the steps it compares are timed in interleaved rounds (a drift
in the machine's load hits all of them alike) and the medians are printed, wall clock and CPU time
of the process, with the thread count. The default lines: one training step of the plain target
network and of HNET at the first and last task of SplitMNIST and PermutedMNIST-10, PermutedMNIST-100
HNET at tasks 1/10/50/100 (with the floor of any exact regulariser and one seed's hours), and
ResNet-32 on split CIFAR. Inputs are random tensors of the datasets' shapes: the costs do not depend
on the pixel values. Each line prints its target.
"""

from __future__ import annotations

import argparse

import torch

from hnet.methods.lookahead import adam_step_delta
from hnet.run.execute import resolve_device
from hnet.tools.bench_common import hnet_at_task, interleaved, make_method, per_call, repeated, step_fn
from hnet.tools.bench_pm100 import features_fn

# Targets of the HNET step against the plain target network's (PermutedMNIST-10 preset).
STEP_TARGETS = {("permuted_mnist", 1): 1.5, ("permuted_mnist", 10): 2.0}


def mnist_lines(device, repeats: int, steps_per_block: int = 5) -> None:
    """The plain target network and HNET at the first and the last task of SplitMNIST and PermutedMNIST-10."""
    for preset, name in (("split_mnist", "SplitMNIST"), ("permuted_mnist", "PermutedMNIST-10")):
        plain, bench, cfg = make_method(preset, "finetune", device)
        last = cfg["n_tasks"]
        fns = {"plain": repeated(step_fn(plain, bench, cfg, 0), steps_per_block)}
        for task in (1, last):
            m, b, c = hnet_at_task(preset, task - 1, device)
            fns[task] = repeated(step_fn(m, b, c, task - 1), steps_per_block)
        fns["features"] = repeated(features_fn(m), steps_per_block)  # the last task's previous tasks
        t = {k: per_call(v, steps_per_block) for k, v in interleaved(fns, device, repeats).items()}
        print(
            f"\n{name} CL1 preset, one training step (batch {cfg['batch_size']}), "
            f"{repeats} interleaved rounds of {steps_per_block} steps, medians:"
        )
        print(f"  plain target network   {t['plain']}")
        for task in (1, last):
            ratio = t[task].wall_ms / t["plain"].wall_ms
            target = STEP_TARGETS.get((preset, task))
            aim = f"   (target <= {target})" if target else ""
            print(f"  HNET task {task:<3d}          {t[task]}   ratio {ratio:5.2f} x plain{aim}")
        floor = t[1].wall_ms + t["features"].wall_ms
        print(
            f"  floor at task {last}: HNET task 1 + the previous tasks' hidden features fwd+bwd "
            f"({t['features']}) = {floor / t['plain'].wall_ms:4.2f} x plain; the step is "
            f"{t[last].wall_ms / floor:4.2f} x the floor"
        )


def regulariser_fn(method, subset: int = 0):
    """The regulariser's share of a step: lookahead params, penalty and its backward pass."""
    hnet = method.ph.hnet
    for p in hnet.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    device = next(hnet.parameters()).device

    def fn():
        named = dict(hnet.named_parameters())
        delta = adam_step_delta(method.ph.opt_h, method.ph.s["lookahead_eps"])
        params = {k: p + delta[p] for k, p in named.items()}
        index = torch.randperm(len(method.ph.embs))[:subset].to(device) if subset else None
        method.ph.penalty(params, index).backward()

    return fn


def reference_lines(device, repeats: int) -> None:
    """The regulariser alone (lookahead, penalty, backward) at the PermutedMNIST-100 preset: the Gram
    form against the plain sum over generated weights."""
    print("\nPermutedMNIST-100 preset, regulariser alone (lookahead + penalty + backward), medians:")
    for prev in (1, 10):
        fns = {}
        for impl in ("gram", "reference"):
            m, _, _ = hnet_at_task("permuted_mnist_100", prev, device, reg_impl=impl)
            fns[impl] = regulariser_fn(m)
        t = interleaved(fns, device, repeats, warmup=1)
        print(
            f"  {prev:3d} previous tasks  gram {t['gram']}   reference {t['reference']}   "
            f"({t['reference'].wall_ms / t['gram'].wall_ms:4.1f} x gram)"
        )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--repeats", type=int, default=10, help="interleaved rounds per section")
    ap.add_argument("--threads", type=int, help="CPU threads (torch.set_num_threads); default: torch's")
    ap.add_argument("--reference", action="store_true", help="only the regulariser: Gram form vs the plain sum")
    ap.add_argument("--per-sample-subset", type=int, default=1000, help="images timed in the per-sample ENT loop")
    ap.add_argument("--only-ent", action="store_true", help="only the HNET+ENT evaluation benchmark")
    ap.add_argument("--cifar", action="store_true", help="only the split CIFAR lines (ResNet-32, ZenkeNet)")
    ap.add_argument("--cifar-epoch", action="store_true", help="with --cifar: also time one full epoch of task 1")
    ap.add_argument(
        "--fisher", action="store_true", help="only the diagonal Fisher line: the MLP fast path vs per-sample gradients"
    )
    ap.add_argument(
        "--pm100",
        action="store_true",
        help="only PermutedMNIST-100 HNET: step cost at tasks 1/10/50/100, target memory, one seed's time",
    )
    ap.add_argument(
        "--packing",
        action="store_true",
        help="only the seed-packing lines: runs/h unpacked vs S seeds packed (hnet.tools.bench_packing)",
    )
    ap.add_argument("--pack-sizes", default="5,20", help="with --packing: the S values (default 5,20)")
    ap.add_argument(
        "--pack-iterations", type=int, default=50, help="with --packing: iterations per task of the timed runs"
    )
    ap.add_argument(
        "--pack-cells", help="with --packing: only these cells, e.g. split_mnist/cl1/hnet,split_mnist/cl1/ewc"
    )
    ap.add_argument(
        "--compiled",
        choices=("compile", "cudagraphs"),
        help="only the compiled step against the eager one (hnet.core.compiling; cudagraphs: CUDA only)",
    )
    ap.add_argument("--compiled-only", help="with --compiled: only the lines of presets containing this name")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    print(
        f"device: {device}, {torch.get_num_threads()} CPU threads; times are medians, wall clock "
        f"(CPU time of the process)"
    )
    from hnet.tools.bench_cifar import cifar_lines
    from hnet.tools.bench_extra import ent_evaluation, fisher_line
    from hnet.tools.bench_pm100 import pm100_lines

    if args.compiled:
        from hnet.tools.bench_compile import compile_lines

        compile_lines(device, args.compiled, max(3, args.repeats // 2), only=args.compiled_only)
    elif args.only_ent:
        ent_evaluation(device, args.per_sample_subset)
    elif args.fisher:
        fisher_line(device, max(2, args.repeats // 5))
    elif args.reference:
        reference_lines(device, max(3, args.repeats // 3))
    elif args.pm100:
        pm100_lines(device, args.repeats, memory=True)
    elif args.packing:
        from hnet.tools.bench_packing import packing_lines

        sizes = tuple(int(v) for v in args.pack_sizes.split(","))
        packing_lines(
            device,
            sizes,
            args.pack_iterations,
            max(2, args.repeats // 5),
            args.pack_cells.split(",") if args.pack_cells else None,
        )
    elif args.cifar:
        cifar_lines(device, args.repeats, args.cifar_epoch)
    else:
        mnist_lines(device, args.repeats)
        pm100_lines(device, max(3, args.repeats // 2))
        cifar_lines(device, args.repeats, epoch=False, nets=("ResNet-32",))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
