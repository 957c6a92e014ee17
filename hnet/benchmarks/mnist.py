"""SplitMNIST and PermutedMNIST-N from torchvision's MNIST-format files (MNIST, Fashion-MNIST, KMNIST;
the ``dataset`` setting chooses).

Inputs are scaled to [0, 1] with no other normalisation. PermutedMNIST zero-pads images to 32x32
(1024 inputs) before permuting, keeps task 1 unpermuted, and draws the other permutations from
``data_seed`` at construction time (the same for every training seed, as in the paper).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from hnet.benchmarks.base import Benchmark, Task
from hnet.benchmarks.datasets import Dataset, download_or_clean_up
from hnet.benchmarks.idx import DataIntegrityError, check_archives, check_idx_pair
from hnet.errors import ConfigError, DataError

FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
RAW_FILES = tuple(f"raw/{f}" for pair in FILES.values() for f in pair)
# MNIST-format datasets: name -> torchvision class (whose name is also its folder under data_dir)
TORCHVISION_CLASS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST", "kmnist": "KMNIST"}


def _torchvision_class(dataset: str):
    import torchvision.datasets

    if dataset not in TORCHVISION_CLASS:
        raise ConfigError(f"unknown MNIST-format dataset {dataset!r}; valid: {sorted(TORCHVISION_CLASS)}")
    return getattr(torchvision.datasets, TORCHVISION_CLASS[dataset])


def load_mnist(data_dir: str | Path, download: bool = True, dataset: str = "mnist"
               ) -> dict[bool, tuple[torch.Tensor, torch.Tensor]]:
    """``{train: (uint8 images (N, 28, 28), int64 labels)}`` from ``data_dir/<Folder>/raw`` (torchvision's layout)."""
    cls = _torchvision_class(dataset)
    raw = Path(data_dir) / cls.__name__ / "raw"
    expected = [raw / f for pair in FILES.values() for f in pair]
    if any(not p.is_file() for p in expected) and download:
        download_or_clean_up(raw, lambda: [cls(str(data_dir), train=t, download=True) for t in (True, False)],
                             cls.__name__)
    missing = [p for p in expected if not p.is_file()]
    if missing:
        raise DataError(
            f"{cls.__name__} files missing in {raw}: {', '.join(p.name for p in missing)}. Expected torchvision's "
            f"layout <data_dir>/{cls.__name__}/raw/{{{', '.join(p.name for p in expected)}}}; set data_dir or "
            "allow download.")
    check_archives(raw, cls.resources)
    out = {}
    for train, (images, labels) in FILES.items():
        check_idx_pair(raw / images, raw / labels)
        ds = cls(str(data_dir), train=train, download=False)
        out[train] = (ds.data, ds.targets.long())
    return out


DATASETS = {name: Dataset(name, folder, RAW_FILES, lambda data_dir, n=name: load_mnist(data_dir, True, n))
            for name, folder in TORCHVISION_CLASS.items()}


def make_split_mnist(data_dir: str, download: bool, n_tasks: int, dataset: str, data_seed: int) -> Benchmark:
    """``data_seed`` only draws validation splits (``hnet.benchmarks.build_benchmark``)."""
    data = load_mnist(data_dir, download, dataset)
    if 10 % n_tasks:
        raise ConfigError(f"split_mnist: n_tasks must divide 10, got {n_tasks}")
    per = 10 // n_tasks
    flat = {k: (x.reshape(len(x), -1).float().div_(255), y) for k, (x, y) in data.items()}
    tasks = []
    for t in range(n_tasks):
        classes = list(range(t * per, (t + 1) * per))
        parts = []
        for train in (True, False):
            x, y = flat[train]
            keep = (y >= classes[0]) & (y <= classes[-1])
            parts += [x[keep], y[keep] - classes[0]]
        tasks.append(Task(t, *parts, classes=classes))
    return Benchmark("split_mnist", tasks, input_shape=(784,), outputs_per_task=per)


def permutations(n_tasks: int, n_inputs: int, data_seed: int) -> list[torch.Tensor | None]:
    """Task 1 is the identity (``None``); the others come from ``data_seed`` alone."""
    g = torch.Generator().manual_seed(data_seed)
    return [None] + [torch.randperm(n_inputs, generator=g) for _ in range(n_tasks - 1)]


def make_permuted_mnist(data_dir: str, download: bool, n_tasks: int, data_seed: int, padding: int,
                        dataset: str) -> Benchmark:
    data = load_mnist(data_dir, download, dataset)
    padded = {}
    for train, (x, y) in data.items():
        x = F.pad(x, (padding,) * 4).float().div_(255)
        padded[train] = (x.reshape(len(x), -1), y)
    n_inputs = padded[True][0].shape[1]
    perms = permutations(n_tasks, n_inputs, data_seed)
    tasks = [Task(t, *padded[True], *padded[False], classes=list(range(10)), input_perm=perms[t])
             for t in range(n_tasks)]
    return Benchmark("permuted_mnist", tasks, input_shape=(n_inputs,), outputs_per_task=10,
                     info={"data_seed": data_seed})


__all__ = ["DATASETS", "DataIntegrityError", "load_mnist", "make_split_mnist", "make_permuted_mnist", "permutations"]
