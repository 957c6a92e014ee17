"""Timing helpers and method fixtures shared by ``python -m hnet.bench``'s parts."""

from __future__ import annotations

import statistics
import time

import torch

from hnet.benchmarks import Benchmark, Scenario, Task
from hnet.core import Context
from hnet.registry import method_class
from hnet.run.config import resolve


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


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


def fake_benchmark(n_tasks: int, device) -> Benchmark:
    x = torch.rand(512, 1024, device=device)
    y = torch.randint(0, 10, (512,), device=device)
    tasks = [Task(t, x, y, x, y, list(range(10))) for t in range(n_tasks)]
    return Benchmark("permuted_mnist", tasks, (1024,), 10)


def make_method(preset: str, method: str, device, **overrides):
    cfg, _ = resolve(preset, "cl1", method, overrides)
    bench = fake_benchmark(cfg["n_tasks"], device)
    ctx = Context(bench, Scenario("cl1", bench.n_tasks, 10), cfg, device)
    torch.manual_seed(0)
    return method_class(method)(ctx), bench, cfg


def hnet_at_task(preset: str, previous: int, device, **overrides):
    m, bench, cfg = make_method(preset, "hnet", device, **overrides)
    m.ph.embs = [torch.randn(cfg["emb_dim"], device=device) for _ in range(previous)]
    m.begin_task(previous)
    return m, bench, cfg


def step_fn(method, bench, cfg, task: int):
    x = bench.tasks[0].x_train[: cfg["batch_size"]]
    y = bench.tasks[0].y_train[: cfg["batch_size"]]
    tids = torch.full((len(y),), task, device=x.device)
    return lambda: method.train_step(x, y, tids, task + 1)
