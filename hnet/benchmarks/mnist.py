"""SplitMNIST and PermutedMNIST-N from torchvision's MNIST-format files (MNIST, Fashion-MNIST, KMNIST;
the ``dataset`` setting chooses).

Inputs are scaled to [0, 1] with no other normalisation. PermutedMNIST zero-pads images to 32x32
(1024 inputs) before permuting, keeps task 1 unpermuted, and draws the other permutations from
``data_seed`` at construction time (the same for every training seed, as in the paper).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from hnet.benchmarks.base import Benchmark, Task
from hnet.benchmarks.datasets import Dataset, download_or_clean_up
from hnet.benchmarks.idx import DataIntegrityError, idx_file, read_idx_pair
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


def locate_files(dataset: str, data_dir: str | Path, folder: str | Path | None = None) -> dict[str, Path | None]:
    """Canonical name (torchvision's ``<Folder>/raw/<file>``) -> the file read for it, or None when
    absent: in ``folder``, a flat folder of IDX files gzipped or not (a distribution's package, a
    shared read-only copy), when one is named; else under torchvision's layout in ``data_dir``. An
    uncompressed file is preferred to its ``.gz`` beside it."""
    if dataset not in TORCHVISION_CLASS:
        raise ConfigError(f"unknown MNIST-format dataset {dataset!r}; valid: {sorted(TORCHVISION_CLASS)}")
    name = TORCHVISION_CLASS[dataset]
    where = Path(folder) if folder is not None else Path(data_dir) / name / "raw"
    return {f"{name}/raw/{f}": idx_file(where, f) for pair in FILES.values() for f in pair}


def load_mnist(
    data_dir: str | Path, download: bool = True, dataset: str = "mnist", folder: str | Path | None = None
) -> dict[bool, tuple[torch.Tensor, torch.Tensor]]:
    """``{train: (uint8 images (N, 28, 28), int64 labels)}`` read in place: from ``folder`` when named
    (never written to, never downloaded into), else from torchvision's layout under ``data_dir``
    (downloaded there when missing and ``download``)."""
    files = locate_files(dataset, data_dir, folder)
    name = TORCHVISION_CLASS[dataset]
    if folder is None and download and None in files.values():
        cls = _torchvision_class(dataset)
        raw = Path(data_dir) / name / "raw"
        download_or_clean_up(raw, lambda: [cls(str(data_dir), train=t, download=True) for t in (True, False)], name)
        files = locate_files(dataset, data_dir)
    missing = [Path(k).name for k, p in files.items() if p is None]
    if missing:
        if folder is not None:
            raise DataError(
                f"{name} files missing in {folder} (the folder named for dataset {dataset!r}): "
                f"{', '.join(missing)}, each uncompressed or .gz; nothing is downloaded into a folder "
                "you name"
            )
        raise DataError(
            f"{name} files missing in {Path(data_dir) / name / 'raw'}: {', '.join(missing)}. Expected torchvision's "
            f"layout <data_dir>/{name}/raw/ (files uncompressed or .gz); set data_dir, name a folder that holds "
            f"them (--dataset-dir {dataset}=PATH, or dataset_dirs in the workflow config), or run without "
            "--no-download to fetch them"
        )
    out = {}
    for train, (images, labels) in FILES.items():
        x, y = read_idx_pair(files[f"{name}/raw/{images}"], files[f"{name}/raw/{labels}"])
        out[train] = (torch.from_numpy(x.copy()), torch.from_numpy(y.astype(np.int64)))
    return out


DATASETS = {
    name: Dataset(
        name,
        folder,
        RAW_FILES,
        lambda data_dir, n=name: load_mnist(data_dir, True, n),
        locate=lambda data_dir, where=None, n=name: locate_files(n, data_dir, where),
    )
    for name, folder in TORCHVISION_CLASS.items()
}


def make_split_mnist(
    data_dir: str, download: bool, n_tasks: int, dataset: str, data_seed: int, folder: str | None = None
) -> Benchmark:
    """``data_seed`` only draws validation splits (``hnet.benchmarks.build_benchmark``)."""
    data = load_mnist(data_dir, download, dataset, folder)
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


def make_permuted_mnist(
    data_dir: str, download: bool, n_tasks: int, data_seed: int, padding: int, dataset: str, folder: str | None = None
) -> Benchmark:
    data = load_mnist(data_dir, download, dataset, folder)
    padded = {}
    for train, (x, y) in data.items():
        x = F.pad(x, (padding,) * 4).float().div_(255)
        padded[train] = (x.reshape(len(x), -1), y)
    n_inputs = padded[True][0].shape[1]
    perms = permutations(n_tasks, n_inputs, data_seed)
    tasks = [
        Task(t, *padded[True], *padded[False], classes=list(range(10)), input_perm=perms[t]) for t in range(n_tasks)
    ]
    return Benchmark(
        "permuted_mnist", tasks, input_shape=(n_inputs,), outputs_per_task=10, info={"data_seed": data_seed}
    )


__all__ = ["DATASETS", "DataIntegrityError", "load_mnist", "make_split_mnist", "make_permuted_mnist", "permutations"]
