"""Benchmark registry: what each benchmark is, before any data is read.

A ``BenchmarkSpec`` names the builder (resolved config -> ``Benchmark``), the scenarios the
benchmark supports, one sample's input shape, the datasets whose files it reads, and the preset
file that holds its paper settings. The workflow asks this table instead of repeating it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from hnet.benchmarks import mnist
from hnet.benchmarks.base import Benchmark, Task
from hnet.benchmarks.datasets import Dataset
from hnet.benchmarks.mnist import make_permuted_mnist, make_split_mnist
from hnet.benchmarks.regression import make_regression
from hnet.benchmarks.scenarios import SCENARIOS, Scenario


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str
    build: Callable[..., Benchmark]
    input_shape: tuple[int, ...]
    scenarios: tuple[str, ...] = SCENARIOS
    datasets: tuple[str, ...] = ()
    description: str = ""

    @property
    def flat_input(self) -> bool:
        return len(self.input_shape) == 1


# name -> (the dataset's files, a function that downloads and checks them into data_dir)
DATASETS: dict[str, tuple[Dataset, Callable[[str], object]]] = {
    "mnist": (mnist.DATASET, lambda data_dir: mnist.load_mnist(data_dir, download=True)),
}

BENCHMARKS: dict[str, BenchmarkSpec] = {s.name: s for s in (
    BenchmarkSpec("regression", make_regression, (1,), ("cl1",), (),
                  "toy 1D regression, 3 tasks (paper Sec. 4.1)"),
    BenchmarkSpec("split_mnist", make_split_mnist, (784,), SCENARIOS, ("mnist",),
                  "SplitMNIST, 5 tasks of 2 digits"),
    BenchmarkSpec("permuted_mnist", make_permuted_mnist, (1024,), SCENARIOS, ("mnist",),
                  "PermutedMNIST-10, 32x32 padded images"),
    BenchmarkSpec("permuted_mnist_100", make_permuted_mnist, (1024,), SCENARIOS, ("mnist",),
                  "PermutedMNIST-100 (the same stream, 100 tasks, its own preset)"),
)}


def spec(name: str) -> BenchmarkSpec:
    if name not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {name!r}; valid: {sorted(BENCHMARKS)}")
    return BENCHMARKS[name]


def scenarios_of(benchmark: str) -> tuple[str, ...]:
    return spec(benchmark).scenarios


def build_benchmark(name: str, cfg: dict) -> Benchmark:
    bench = spec(name).build(**cfg)
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
    return bench.with_tasks(tasks, validation_split=fraction)


def data_paths(benchmark: str, data_dir: str) -> list[str]:
    """The files ``benchmark`` reads under ``data_dir`` (the workflow's data inputs)."""
    return [str(p) for ds in spec(benchmark).datasets for p in DATASETS[ds][0].paths(data_dir)]


__all__ = ["BENCHMARKS", "DATASETS", "Benchmark", "BenchmarkSpec", "SCENARIOS", "Scenario", "Task", "build_benchmark",
           "scenarios_of", "spec"]
