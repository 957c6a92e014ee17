"""Seed packing, measured: runs per hour of one run per process vs S seeds packed into one process.

For each cell, whole runs (every task, the method's real hooks, the full evaluation after each task)
of k iterations per task are timed: the loop's own training time (synchronised on a GPU) divided by
the iterations gives the cost of one iteration (growing regulariser included, averaged over the
tasks), the rest of the wall time is the fixed cost (setup, end-of-task work such as EWC's Fisher,
evaluation). Runs per hour at the preset's iteration count follow from those two numbers. The
configurations are interleaved and repeated, and the medians reported, so
that drift in the machine's load does not decide the ratios. Python start-up and data loading (the
same with and without packing) are excluded. Inputs are random tensors of the datasets' shapes and
sizes: the costs do not depend on pixel values.
"""

from __future__ import annotations

import statistics
import time

import torch

from hnet.benchmarks import Benchmark, Scenario, Task
from hnet.core import Context, LoopState, SeedStreams, run_loop, run_seeds
from hnet.registry import method_class
from hnet.run.config import resolve
from hnet.run.seeding import seed_everything

# (preset, scenario, method), the data's shape (tasks, classes per task, train/test images per task,
# input size) and settings changed for the measurement (none at present; the line would say so).
CELLS = [
    (("split_mnist", "cl1", "hnet"), (5, 2, 12000, 2000, 784), {}),
    (("split_mnist", "cl1", "ewc"), (5, 2, 12000, 2000, 784), {}),
    (("permuted_mnist", "cl1", "hnet"), (10, 10, 60000, 10000, 1024), {}),
]


def shaped_benchmark(name: str, shape: tuple, device) -> Benchmark:
    n_tasks, classes, n_train, n_test, dim = shape
    g = torch.Generator().manual_seed(0)
    x_train, x_test = torch.rand(n_train, dim, generator=g), torch.rand(n_test, dim, generator=g)
    y_train = torch.randint(0, classes, (n_train,), generator=g)
    y_test = torch.randint(0, classes, (n_test,), generator=g)
    tasks = [Task(t, x_train, y_train, x_test, y_test, list(range(classes))) for t in range(n_tasks)]
    return Benchmark(name, tasks, (dim,), classes).to(device)


def timed_run(bench, cell, cfg, seeds: int, device) -> tuple[float, float]:
    """(wall seconds, training-step seconds) of one whole run of ``seeds`` seeds (1: the ordinary
    unpacked loop)."""
    preset, scenario_name, method = cell
    scenario = Scenario(scenario_name, bench.n_tasks, bench.outputs_per_task)
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    if seeds == 1:
        seed_everything(1)
        m = method_class(method)(Context(bench, scenario, cfg, device))
        states = [run_loop(bench, scenario, m, cfg, torch.Generator().manual_seed(1))]
    else:
        ids = list(range(1, seeds + 1))
        m = method_class(method)(Context(bench, scenario, cfg, device, SeedStreams(ids)))
        states = run_seeds(
            bench, scenario, m, cfg, [torch.Generator().manual_seed(s) for s in ids], [LoopState() for _ in ids]
        )
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, sum(st.train_seconds for st in states)


def packing_lines(device, sizes=(5, 20), k: int = 50, repeats: int = 2, cells: list[str] | None = None) -> None:
    """``cells``: only these ('preset/scenario/method'; default all of CELLS)."""
    print(
        f"\nSeed packing: runs per hour at the preset's iterations (whole runs of {k} iterations per task, "
        f"{repeats} interleaved repeats, medians):"
    )
    for cell, shape, changed in CELLS:
        if cells and "/".join(cell) not in cells:
            continue
        cfg, _ = resolve(*cell)
        cfg = {**cfg, **changed}
        bench = shaped_benchmark(cell[0], shape, device)
        configs = [1, *sizes]
        times = {s: [] for s in configs}
        timed_run(bench, cell, {**cfg, "iterations": 2}, 1, device)  # warm-up (allocations, kernels)
        for _ in range(repeats):
            for s in configs:
                times[s].append(timed_run(bench, cell, {**cfg, "iterations": k}, s, device))
        base = None
        for s in configs:
            per_iter = statistics.median(train for _, train in times[s]) / (k * bench.n_tasks)
            fixed = statistics.median(wall - train for wall, train in times[s])
            run_seconds = fixed + cfg["iterations"] * bench.n_tasks * per_iter
            per_hour = s * 3600 / run_seconds
            base = base or per_hour
            what = "one run per process" if s == 1 else f"S = {s:2d} packed      "
            print(
                f"  {'/'.join(cell):26s} {what}  {1000 * per_iter:8.1f} ms/iteration  fixed {fixed:6.1f} s  "
                f"{per_hour:8.1f} runs/h  ({per_hour / base:5.2f} x)"
            )
        if changed:
            print(f"  {'':26s} measured with {changed} (see CELLS)")
