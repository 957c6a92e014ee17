"""Benchmark registry: what each benchmark is, before any data is read.

A ``BenchmarkSpec`` names the builder (resolved config -> ``Benchmark``), the scenarios the
benchmark supports, one sample's input shape, the settings it reads besides the common ones (for
the MNIST family, ``dataset``), and which datasets' files a configuration reads. The workflow asks
this table instead of repeating it.

A run's *label* names its benchmark and, when it is not the benchmark's default, its dataset:
``split_mnist`` or ``split_mnist-fashion_mnist``. Labels name results folders, table columns and
figures, so runs on different datasets are never filed or compared together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from hnet.benchmarks import cifar, mnist
from hnet.benchmarks.base import Benchmark, Task
from hnet.benchmarks.datasets import Dataset
from hnet.benchmarks.regression import make_regression
from hnet.benchmarks.scenarios import SCENARIOS, Scenario
from hnet.errors import ConfigError
from hnet.settings import Setting

DATASETS: dict[str, Dataset] = {**mnist.DATASETS, **cifar.DATASETS}
MNIST_FORMAT = tuple(mnist.DATASETS)


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str
    build: Callable[..., Benchmark]
    input_shape: tuple[int, ...]
    scenarios: tuple[str, ...] = SCENARIOS
    reads: tuple[str, ...] = ()  # datasets always read (none: generated data, or chosen by `dataset`)
    description: str = ""
    settings: dict[str, Setting] = field(default_factory=dict)
    regression: bool = False

    @property
    def flat_input(self) -> bool:
        return len(self.input_shape) == 1

    @property
    def default_dataset(self) -> str | None:
        """The default of the ``dataset`` setting (None where the benchmark has no such choice)."""
        return self.settings["dataset"].default if "dataset" in self.settings else None

    def datasets(self, cfg: dict | None = None) -> list[str]:
        """The datasets whose files a run with config ``cfg`` reads."""
        if "dataset" in self.settings:
            return [(cfg or {}).get("dataset", self.default_dataset)]
        return list(self.reads)


DATA_SEED = Setting(
    42,
    "seed of everything drawn when the data is built (permutations, generated data, "
    "validation splits): the same for every training seed, as in the paper",
    type="int",
)


def _n_tasks(default: int, what: str) -> Setting:
    return Setting(default, f"number of tasks ({what})", type="int", constraint="positive")


def _mnist_family(name, build, shape, description, n_tasks: Setting, **more: Setting) -> BenchmarkSpec:
    dataset = Setting(
        "mnist",
        "the MNIST-format dataset the tasks are built from (torchvision's layout under "
        "data_dir); part of the run's label",
        MNIST_FORMAT,
    )
    return BenchmarkSpec(
        name,
        build,
        shape,
        SCENARIOS,
        (),
        description,
        {"dataset": dataset, "n_tasks": n_tasks, "data_seed": DATA_SEED, **more},
    )


def _split_cifar(name, description) -> BenchmarkSpec:
    settings = {
        "n_tasks": _n_tasks(6, "CIFAR-10, then splits of 10 CIFAR-100 classes; at most 11"),
        "data_seed": DATA_SEED,
        "augment": Setting(True, "random crop of the 4-pixel padded image and horizontal flip of training batches"),
        "normalize": Setting(
            True,
            "standardise inputs with the ImageNet channel statistics (the authors' code does "
            "so together with augmentation)",
        ),
    }
    return BenchmarkSpec(
        name, cifar.make_split_cifar, (3, 32, 32), ("cl1",), ("cifar10", "cifar100"), description, settings
    )


_PADDING = Setting(
    2, "zero padding on each side of the 28x28 images (2: 32x32, as the paper)", type="int", constraint="non_negative"
)
BENCHMARKS: dict[str, BenchmarkSpec] = {
    s.name: s
    for s in (
        BenchmarkSpec(
            "regression",
            make_regression,
            (1,),
            ("cl1",),
            (),
            "toy 1D regression, 3 tasks (paper Sec. 4.1)",
            regression=True,
            settings={
                "n_train": Setting(100, "training points per task", constraint="positive"),
                "n_test": Setting(50, "test points per task (a grid over the task's interval)", constraint="positive"),
                "noise_std": Setting(
                    0.05, "standard deviation of the training targets' noise", constraint="non_negative"
                ),
                "data_seed": DATA_SEED,
            },
        ),
        _mnist_family(
            "split_mnist",
            mnist.make_split_mnist,
            (784,),
            "SplitMNIST, 5 tasks of 2 digits",
            _n_tasks(5, "the ten digits in consecutive pairs; must divide 10"),
        ),
        _mnist_family(
            "permuted_mnist",
            mnist.make_permuted_mnist,
            (1024,),
            "PermutedMNIST-10, 32x32 padded images",
            _n_tasks(10, "task 1 unpermuted"),
            padding=_PADDING,
        ),
        _mnist_family(
            "permuted_mnist_100",
            mnist.make_permuted_mnist,
            (1024,),
            "PermutedMNIST-100 (the same stream, 100 tasks, its own preset)",
            _n_tasks(100, "task 1 unpermuted"),
            padding=_PADDING,
        ),
        _split_cifar("split_cifar", "split CIFAR-10/100, 6 tasks, ResNet-32 (paper Fig. 5)"),
        _split_cifar("split_cifar_zenke", "split CIFAR-10/100, 6 tasks, ZenkeNet (the same stream, its own preset)"),
    )
}


def spec(name: str) -> BenchmarkSpec:
    if name not in BENCHMARKS:
        raise ConfigError(f"unknown benchmark {name!r}; valid: {sorted(BENCHMARKS)}")
    return BENCHMARKS[name]


def scenarios_of(benchmark: str) -> tuple[str, ...]:
    return spec(benchmark).scenarios


def label(benchmark: str, dataset: str | None = None) -> str:
    """``benchmark`` on its default dataset, ``benchmark-dataset`` on another one."""
    default = spec(benchmark).default_dataset
    return benchmark if dataset in (None, default) else f"{benchmark}-{dataset}"


def parse_label(text: str) -> tuple[str, str | None]:
    """(benchmark, dataset) of a label."""
    benchmark, _, dataset = text.partition("-")
    return benchmark, dataset or spec(benchmark).default_dataset


def hold_out_validation(bench: Benchmark, fraction: float, seed: int) -> Benchmark:
    """Move ``fraction`` of each task's training data into its validation split (``x_val``), for
    learning-rate schedules; the test set is untouched."""
    g = torch.Generator().manual_seed(seed + 2)
    tasks = []
    for t in bench.tasks:
        order = torch.randperm(len(t.y_train), generator=g)
        n_val = int(round(fraction * len(order)))
        va, tr = order[:n_val].sort().values, order[n_val:].sort().values
        tasks.append(replace(t, x_train=t.x_train[tr], y_train=t.y_train[tr], x_val=t.x_train[va], y_val=t.y_train[va]))
    return bench.with_tasks(tasks, lr_validation_split=fraction)


def data_paths(benchmark: str, cfg: dict, data_dir: str, dataset_dirs: dict | None = None) -> list[str]:
    """The files a run of ``benchmark`` with config ``cfg`` reads: in the folder named for its
    dataset in ``dataset_dirs`` (as found there), else under ``data_dir`` in torchvision's layout."""
    out = []
    for ds in spec(benchmark).datasets(cfg):
        where = (dataset_dirs or {}).get(ds)
        if where is None:
            out += [str(p) for p in DATASETS[ds].paths(data_dir)]
        else:
            out += [
                str(p if p is not None else Path(where) / Path(k).name)
                for k, p in DATASETS[ds].located(data_dir, where).items()
            ]
    return out


def build_benchmark(
    name: str, cfg: dict, data_dir: str = "data", download: bool = True, dataset_dirs: dict | None = None
) -> Benchmark:
    """The task stream of benchmark ``name`` for a resolved run config ``cfg`` (its builder gets
    exactly the benchmark's declared settings; ``val_fraction``/``lr_val_fraction`` are the run's).
    ``dataset_dirs``: dataset -> a folder the user named, read in place (MNIST-format datasets)."""
    s = spec(name)
    kwargs = {k: cfg[k] if k in cfg else setting.default for k, setting in s.settings.items()}
    if not s.regression:
        kwargs.update(data_dir=data_dir, download=download)
    if "dataset" in s.settings:
        kwargs["folder"] = (dataset_dirs or {}).get(kwargs["dataset"])
    bench = s.build(**kwargs)
    bench.name = name
    if cfg.get("val_fraction", 0) > 0:
        bench = carve_validation(bench, cfg["val_fraction"], kwargs["data_seed"])
    if cfg.get("lr_val_fraction", 0) > 0:
        bench = hold_out_validation(bench, cfg["lr_val_fraction"], kwargs["data_seed"])
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
        x_tr, y_tr, x_va, y_va = splits[key]
        tasks.append(replace(t, x_train=x_tr, y_train=y_tr, x_test=x_va, y_test=y_va))
    return bench.with_tasks(tasks, validation_split=fraction)


__all__ = [
    "BENCHMARKS",
    "DATASETS",
    "Benchmark",
    "BenchmarkSpec",
    "SCENARIOS",
    "Scenario",
    "Task",
    "build_benchmark",
    "data_paths",
    "label",
    "parse_label",
    "scenarios_of",
    "spec",
]
