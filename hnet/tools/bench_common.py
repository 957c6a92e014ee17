"""Timing helpers and method fixtures shared by ``python -m hnet.bench``'s parts."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from hnet.benchmarks import Benchmark, Scenario, Task
from hnet.core import Context
from hnet.registry import method_class
from hnet.run.config import resolve


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


@dataclass(frozen=True)
class Timing:
    """Median milliseconds per call: wall clock, and CPU time of this process (all its threads)."""

    wall_ms: float
    cpu_ms: float

    def __str__(self) -> str:
        return f"{self.wall_ms:8.1f} ms ({self.cpu_ms:7.1f} ms CPU)"


def interleaved(fns: dict[str, Callable[[], object]], device, repeats: int, warmup: int = 2) -> dict[str, Timing]:
    """Every function timed ``repeats`` times in interleaved rounds (a drift in load hits all alike),
    medians of wall and CPU time per call."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    wall: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            sync(device)
            w, c = time.perf_counter(), time.process_time()
            fn()
            sync(device)
            wall[k].append(1000 * (time.perf_counter() - w))
            cpu[k].append(1000 * (time.process_time() - c))
    return {k: Timing(statistics.median(wall[k]), statistics.median(cpu[k])) for k in fns}


def repeated(fn: Callable[[], object], n: int) -> Callable[[], None]:
    """``fn`` called ``n`` times per call (for steps too short to time one by one); divide by ``n``."""

    def block():
        for _ in range(n):
            fn()

    return block


def per_call(t: Timing, n: int) -> Timing:
    return Timing(t.wall_ms / n, t.cpu_ms / n)


def timed(fn, device, repeats: int, warmup: int = 3) -> float:
    """Median milliseconds of ``fn()`` over ``repeats`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync(device)
        t = time.perf_counter()
        fn()
        sync(device)
        times.append(1000 * (time.perf_counter() - t))
    return statistics.median(times)


# The shape of each MNIST preset's data: input size and classes per task.
SHAPES = {"split_mnist": (784, 2), "permuted_mnist": (1024, 10), "permuted_mnist_100": (1024, 10)}


def fake_benchmark(preset: str, n_tasks: int, device) -> Benchmark:
    dim, classes = SHAPES[preset]
    x = torch.rand(512, dim, device=device)
    y = torch.randint(0, classes, (512,), device=device)
    tasks = [Task(t, x, y, x, y, list(range(classes))) for t in range(n_tasks)]
    return Benchmark(preset, tasks, (dim,), classes)


def make_method(preset: str, method: str, device, compile_mode: str = "none", **overrides):
    cfg, _ = resolve(preset, "cl1", method, overrides)
    bench = fake_benchmark(preset, cfg["n_tasks"], device)
    ctx = Context(bench, Scenario("cl1", bench.n_tasks, SHAPES[preset][1]), cfg, device, compile=compile_mode)
    torch.manual_seed(0)
    return method_class(method)(ctx), bench, cfg


def hnet_at_task(preset: str, previous: int, device, compile_mode: str = "none", **overrides):
    m, bench, cfg = make_method(preset, "hnet", device, compile_mode, **overrides)
    m.ph.embs = [torch.randn(cfg["emb_dim"], device=device) for _ in range(previous)]
    m.begin_task(previous)
    return m, bench, cfg


def step_fn(method, bench, cfg, task: int):
    x = bench.tasks[0].x_train[: cfg["batch_size"]]
    y = bench.tasks[0].y_train[: cfg["batch_size"]]
    tids = torch.full((len(y),), task, device=x.device)
    return lambda: method.train_step(x, y, tids, task + 1)
