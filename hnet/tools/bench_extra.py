"""The bench's lines beyond training steps: EWC's diagonal Fisher and HNET+ENT's evaluation
(``python -m hnet.bench --fisher`` / ``--only-ent``)."""

from __future__ import annotations

import statistics

import torch

from hnet.benchmarks import Benchmark, Scenario, Task
from hnet.core import Context
from hnet.run.config import resolve
from hnet.tools.bench_common import timed


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
            times[name].append(
                timed(lambda mlp=mlp: diagonal_fisher(net, params, scenario, batch, 1, mlp=mlp), device, 1, 0)
            )
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
