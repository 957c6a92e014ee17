"""Benchmark registry: name -> builder. Builders take the resolved config as keyword arguments."""

from __future__ import annotations

import torch

from hnet.benchmarks.base import Benchmark, Task
from hnet.benchmarks.mnist import make_permuted_mnist, make_split_mnist
from hnet.benchmarks.regression import make_regression
from hnet.benchmarks.scenarios import SCENARIOS, Scenario

BUILDERS = {
    "regression": make_regression,
    "split_mnist": make_split_mnist,
    "permuted_mnist": make_permuted_mnist,
    "permuted_mnist_100": make_permuted_mnist,  # same stream, its own preset (100 tasks)
}
SUPPORTED_SCENARIOS = {"regression": ("cl1",)}


def scenarios_of(benchmark: str) -> tuple[str, ...]:
    return SUPPORTED_SCENARIOS.get(benchmark, SCENARIOS)


def build_benchmark(name: str, cfg: dict) -> Benchmark:
    if name not in BUILDERS:
        raise ValueError(f"unknown benchmark {name!r}; valid: {sorted(BUILDERS)}")
    bench = BUILDERS[name](**cfg)
    bench.name = name
    if cfg.get("val_fraction", 0) > 0:
        bench = carve_validation(bench, cfg["val_fraction"], cfg.get("data_seed", 42))
    return bench


def carve_validation(bench: Benchmark, fraction: float, seed: int) -> Benchmark:
    """Replace each task's test set by a held-out part of its training data (for tuning).

    The split is drawn once from ``seed`` on the shared training tensor, so PermutedMNIST tasks,
    which share inputs, hold out the same images.
    """
    g = torch.Generator().manual_seed(seed + 1)
    splits: dict[int, tuple[torch.Tensor, ...]] = {}
    tasks = []
    for t in bench.tasks:
        key = id(t.x_train)
        if key not in splits:
            order = torch.randperm(len(t.y_train), generator=g)
            n_val = int(round(fraction * len(order)))
            tr, va = order[n_val:], order[:n_val]
            splits[key] = (t.x_train[tr], t.y_train[tr], t.x_train[va], t.y_train[va])
        tasks.append(Task(t.index, *splits[key], t.classes, t.input_perm))
    return Benchmark(bench.name, tasks, bench.input_dim, bench.outputs_per_task, bench.regression,
                     bench.scenarios, {**bench.info, "validation_split": fraction})


__all__ = ["Benchmark", "Task", "Scenario", "SCENARIOS", "BUILDERS", "build_benchmark", "scenarios_of"]
