"""``python -m hnet.bench --pm100``: PermutedMNIST-100 CL1 HNET at its preset, what one seed costs.

A whole training step (task loss, lookahead, regulariser over every previous task, both Adam steps)
at tasks 1, 10, 50 and 100, timed in interleaved rounds so that load drifts hit every task alike;
the memory the regulariser keeps for its targets in the three forms the suite has; and the wall
time of one seed's training steps, interpolated linearly between the measured tasks (the
evaluation and data loading come on top: ``snakemake ... -- plan`` models those).
"""

from __future__ import annotations

import statistics

import numpy as np
import torch

from hnet.methods.regulariser import Snapshot
from hnet.tools.bench_common import hnet_at_task, step_fn, timed

TASKS = (1, 10, 50, 100)
PRESET = "permuted_mnist_100"


def _mb(numel: int) -> float:
    return 4 * numel / 2**20  # float32


def target_memory_mb(method, previous: int) -> dict[str, float]:
    """Bytes held for the regulariser's targets with ``previous`` finished tasks, per form."""
    hnet = method.ph.hnet
    snap = method.ph.snapshot or Snapshot.take(hnet, torch.stack(method.ph.embs))
    return {
        "stored outputs (reg_targets=stored, reference)": _mb(previous * hnet.target_numel),
        "copy of Θ_h* (reg_targets=snapshot, reference)": _mb(hnet.num_params()),
        "Gram snapshot (reg_impl=gram, default)": _mb(sum(t.numel() for t in snap.as_tuple())),
    }


def interpolated_total_s(step_ms: dict[int, float], n_tasks: int, iterations: int) -> float:
    """Seconds of ``iterations`` steps for each of tasks 1..n_tasks, linear between measured tasks
    (the first or last measured cost outside them)."""
    known = sorted(step_ms)
    per_task_ms = np.interp(np.arange(1, n_tasks + 1), known, [step_ms[k] for k in known])
    return float(iterations * per_task_ms.sum()) / 1000


def pm100_lines(device, repeats: int, steps_per_block: int = 5) -> None:
    print(f"\nPermutedMNIST-100 CL1 HNET preset, one whole training step (batch 128), "
          f"{repeats} interleaved rounds of {steps_per_block} steps:")
    runs = {}
    for t in TASKS:
        m, bench, cfg = hnet_at_task(PRESET, t - 1, device)
        step = step_fn(m, bench, cfg, t - 1)
        runs[t] = (m, lambda step=step: [step() for _ in range(steps_per_block)])
    times: dict[int, list[float]] = {t: [] for t in TASKS}
    for r in range(repeats):  # interleaved: a drift in load hits every task alike
        for t in TASKS:
            times[t].append(timed(runs[t][1], device, 1, warmup=2 if r == 0 else 0) / steps_per_block)
    step_ms = {t: statistics.median(v) for t, v in times.items()}
    for t in TASKS:
        print(f"  task {t:3d} ({t - 1:2d} previous)  {step_ms[t]:8.1f} ms/step   ratio {step_ms[t] / step_ms[1]:5.2f} x task 1")

    print("\nMemory held for the regulariser's targets (float32):")
    for t in (10, 100):
        m = runs[t][0]
        for form, mb in target_memory_mb(m, t - 1).items():
            print(f"  task {t:3d}  {form:48s} {mb:9.1f} MB")

    n_tasks, iterations = cfg["n_tasks"], cfg["iterations"]  # the preset's, the same for every task count
    total = interpolated_total_s(step_ms, n_tasks, iterations)
    print(f"\nOne seed's training steps ({n_tasks} tasks x {iterations} iterations, linear between the "
          f"measured tasks) on {device}: {total / 3600:.1f} h (evaluation and data loading not included)")
