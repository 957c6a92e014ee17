"""``python -m hnet.bench --pm100``: PermutedMNIST-100 CL1 HNET at its preset, what one seed costs.

A whole training step (task loss, lookahead, regulariser over every previous task, both Adam steps)
at tasks 1, 10, 50 and 100, timed in interleaved rounds so that load drifts hit every task alike;
the memory the regulariser keeps for its targets in the three forms the suite has; and the wall
time of one seed's training steps, interpolated linearly between the measured tasks (the
evaluation and data loading come on top: ``snakemake ... -- plan`` models those).
"""

from __future__ import annotations

import numpy as np
import torch

from hnet.methods.regulariser import Snapshot
from hnet.tools.bench_common import hnet_at_task, interleaved, per_call, repeated, step_fn

TASKS = (1, 10, 50, 100)
PRESET = "permuted_mnist_100"


# Targets of this section: the step at task 100 against task 1, and one seed's training steps.
TASK_100_TARGET, SEED_HOURS_TARGET = 6.0, 30.0


def _mb(tensors) -> float:
    return sum(t.numel() * t.element_size() for t in tensors) / 2**20


def target_memory_mb(method, previous: int) -> dict[str, float]:
    """Memory held for the regulariser's targets with ``previous`` finished tasks, per form."""
    hnet = method.ph.hnet
    snap = method.ph.snapshot or Snapshot.take(hnet, torch.stack(method.ph.embs))
    per_weight = 4  # float32
    return {
        "stored outputs (reg_targets=stored, reference)": previous * hnet.target_numel * per_weight / 2**20,
        "copy of Θ_h* (reg_targets=snapshot, reference)": _mb(hnet.parameters()),
        "Gram snapshot (reg_impl=gram, default)": _mb(snap.as_tuple()),
    }


def interpolated_total_s(step_ms: dict[int, float], n_tasks: int, iterations: int) -> float:
    """Seconds of ``iterations`` steps for each of tasks 1..n_tasks, linear between measured tasks
    (the first or last measured cost outside them)."""
    known = sorted(step_ms)
    per_task_ms = np.interp(np.arange(1, n_tasks + 1), known, [step_ms[k] for k in known])
    return float(iterations * per_task_ms.sum()) / 1000


def features_fn(method):
    """What any exact regulariser must do at least: the hidden features of every (previous task,
    chunk) pair under the current weights, forward and backward (the hidden layers are nonlinear)."""
    hnet = method.ph.hnet
    embs = torch.stack(method.ph.embs)
    return lambda: hnet.features(embs).sum().backward()


def pm100_lines(device, repeats: int, steps_per_block: int = 3, memory: bool = False) -> None:
    print(
        f"\nPermutedMNIST-100 CL1 HNET preset, one whole training step (batch 128), "
        f"{repeats} interleaved rounds of {steps_per_block} steps, medians:"
    )
    fns, methods = {}, {}
    for t in TASKS:
        m, bench, cfg = hnet_at_task(PRESET, t - 1, device)
        methods[t] = m
        fns[t] = repeated(step_fn(m, bench, cfg, t - 1), steps_per_block)
    fns["features"] = repeated(features_fn(methods[TASKS[-1]]), steps_per_block)
    times = {k: per_call(v, steps_per_block) for k, v in interleaved(fns, device, repeats, warmup=1).items()}
    step_ms = {t: times[t].wall_ms for t in TASKS}
    for t in TASKS:
        aim = f"   (target <= {TASK_100_TARGET:g})" if t == TASKS[-1] else ""
        print(f"  task {t:3d} ({t - 1:2d} previous)  {times[t]}   ratio {step_ms[t] / step_ms[1]:5.2f} x task 1{aim}")
    floor = step_ms[1] + times["features"].wall_ms
    print(
        f"  floor at task {TASKS[-1]}: task 1's step + the previous tasks' hidden features fwd+bwd "
        f"({times['features']}) = {floor:.1f} ms = {floor / step_ms[1]:4.2f} x task 1; the step is "
        f"{step_ms[TASKS[-1]] / floor:4.2f} x the floor"
    )
    n_tasks, iterations = cfg["n_tasks"], cfg["iterations"]  # the preset's, the same for every task count
    total = interpolated_total_s(step_ms, n_tasks, iterations)
    print(
        f"  one seed's training steps ({n_tasks} tasks x {iterations} iterations, linear between the measured "
        f"tasks) on {device}: {total / 3600:.1f} h (target <= {SEED_HOURS_TARGET:g} h on this 2-core CPU; "
        "evaluation and data loading not included)"
    )
    if memory:
        print("\nMemory held for the regulariser's targets:")
        for t in (10, 100):
            for form, mb in target_memory_mb(methods[t], t - 1).items():
                print(f"  task {t:3d}  {form:48s} {mb:9.1f} MB")
