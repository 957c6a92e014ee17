"""Split CIFAR-10/100 (Zenke et al. 2017; the paper's Fig. 5): task 1 is CIFAR-10, tasks 2..n are
CIFAR-100 classes 0-49 in splits of ten, each with task-local labels 0-9.

Files are torchvision's extracted pickled batches (``cifar-10-batches-py/``, ``cifar-100-python/``
under ``data_dir``), read directly and checked before use (present, unpicklable, shapes, label
ranges); the official archives are checked against torchvision's MD5 sums when present. Images
stay uint8 on the device and become network inputs per batch (``transform``): scaled to [0, 1]
and, with ``normalize``, standardised with the ImageNet channel statistics as the authors' code
does (hypercl ``data/cifar10_data.py``, ``torch_input_transforms``). ``augment`` draws a random
crop of the 4-pixel zero-padded image (black before normalisation) and a horizontal flip per
image, on device tensors, from the training loop's generator.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from hnet.benchmarks.base import Benchmark, Task
from hnet.benchmarks.datasets import Dataset, download_or_clean_up
from hnet.benchmarks.idx import DataIntegrityError, check_archives
from hnet.errors import ConfigError, DataError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PAD = 4

CIFAR10 = {
    "folder": "cifar-10-batches-py",
    "train": [f"data_batch_{i}" for i in range(1, 6)],
    "test": ["test_batch"],
    "meta": "batches.meta",
    "labels": b"labels",
    "classes": 10,
    "torchvision": "CIFAR10",
}
CIFAR100 = {
    "folder": "cifar-100-python",
    "train": ["train"],
    "test": ["test"],
    "meta": "meta",
    "labels": b"fine_labels",
    "classes": 100,
    "torchvision": "CIFAR100",
}


def _files(spec: dict) -> tuple[str, ...]:
    return (*spec["train"], *spec["test"], spec["meta"])


def _fetch(spec: dict):
    def fetch(data_dir: str) -> None:
        import torchvision.datasets

        cls = getattr(torchvision.datasets, spec["torchvision"])
        target = Path(data_dir) / spec["folder"]
        if any(not (target / f).is_file() for f in _files(spec)):
            download_or_clean_up(target, lambda: cls(str(data_dir), train=True, download=True), spec["torchvision"])
        load_cifar(data_dir, spec, download=False)

    return fetch


DATASETS = {
    "cifar10": Dataset("cifar10", CIFAR10["folder"], _files(CIFAR10), _fetch(CIFAR10)),
    "cifar100": Dataset("cifar100", CIFAR100["folder"], _files(CIFAR100), _fetch(CIFAR100)),
}


def read_batch(path: Path, label_key: bytes, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images (N, 3, 32, 32), int64 labels) of one pickled batch, checked."""
    if not path.is_file():
        raise DataIntegrityError(f"{path}: missing")
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")
    except Exception as err:  # unpickling fails in many ways on a corrupt file
        raise DataIntegrityError(f"{path}: not a CIFAR batch file ({type(err).__name__}: {err})") from None
    if not isinstance(batch, dict) or b"data" not in batch or label_key not in batch:
        raise DataIntegrityError(f"{path}: expected a dict with {b'data'!r} and {label_key!r}")
    data, labels = np.asarray(batch[b"data"]), np.asarray(batch[label_key], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise DataIntegrityError(f"{path}: expected uint8 data of shape (N, 3072), found {data.dtype} {data.shape}")
    if labels.shape != (data.shape[0],):
        raise DataIntegrityError(f"{path}: {labels.shape[0]} labels for {data.shape[0]} images")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise DataIntegrityError(f"{path}: labels outside 0..{n_classes - 1}")
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar(data_dir: str | Path, spec: dict, download: bool = True) -> dict[bool, tuple[Tensor, Tensor]]:
    """``{train: (uint8 images (N, 3, 32, 32), labels)}`` of CIFAR-10 or CIFAR-100 under ``data_dir``."""
    folder = Path(data_dir) / spec["folder"]
    missing = [f for f in _files(spec) if not (folder / f).is_file()]
    if missing and download:
        _fetch(spec)(str(data_dir))
        missing = [f for f in _files(spec) if not (folder / f).is_file()]
    if missing:
        raise DataError(
            f"{spec['torchvision']} files missing in {folder}: {', '.join(missing)}. Expected "
            f"torchvision's layout <data_dir>/{spec['folder']}/{{{', '.join(_files(spec))}}}; set data_dir "
            "or allow download."
        )
    import torchvision.datasets

    cls = getattr(torchvision.datasets, spec["torchvision"])
    check_archives(Path(data_dir), [(cls.filename, cls.tgz_md5)])
    out = {}
    for train in (True, False):
        parts = [read_batch(folder / f, spec["labels"], spec["classes"]) for f in spec["train" if train else "test"]]
        out[train] = (
            torch.from_numpy(np.concatenate([p[0] for p in parts])),
            torch.from_numpy(np.concatenate([p[1] for p in parts])),
        )
    return out


def to_inputs(normalize: bool):
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)

    def transform(x: Tensor) -> Tensor:
        x = x.float().div_(255)
        return (x - mean.to(x.device)) / std.to(x.device) if normalize else x

    return transform


def crop_and_flip(normalize: bool):
    """Random crop of the zero-padded image and horizontal flip with probability 1/2, per image."""
    black = (-torch.tensor(IMAGENET_MEAN) / torch.tensor(IMAGENET_STD)) if normalize else torch.zeros(3)

    def augment(x: Tensor, generator: torch.Generator) -> Tensor:
        b, c, h, w = x.shape
        dy = torch.randint(0, 2 * PAD + 1, (b,), generator=generator).to(x.device)
        dx = torch.randint(0, 2 * PAD + 1, (b,), generator=generator).to(x.device)
        flip = (torch.rand(b, generator=generator) < 0.5).to(x.device)
        padded = black.to(x.device, x.dtype).view(1, c, 1, 1).expand(b, c, h + 2 * PAD, w + 2 * PAD).clone()
        padded[:, :, PAD : PAD + h, PAD : PAD + w] = x
        rows = dy[:, None] + torch.arange(h, device=x.device)[None]  # (B, H)
        cols = dx[:, None] + torch.arange(w, device=x.device)[None]  # (B, W)
        cols = torch.where(flip[:, None], cols.flip(1), cols)
        bi = torch.arange(b, device=x.device)[:, None, None]
        return padded.permute(0, 2, 3, 1)[bi, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()

    return augment


def make_split_cifar(
    data_dir: str, download: bool, n_tasks: int, augment: bool, normalize: bool, data_seed: int
) -> Benchmark:
    """``data_seed`` only draws validation splits (``hnet.benchmarks.build_benchmark``)."""
    if not 1 <= n_tasks <= 11:
        raise ConfigError(
            f"split_cifar: n_tasks must be in 1..11 (CIFAR-10, then up to 10 splits of CIFAR-100), got {n_tasks}"
        )
    c10 = load_cifar(data_dir, CIFAR10, download)
    c100 = load_cifar(data_dir, CIFAR100, download) if n_tasks > 1 else None
    transform = to_inputs(normalize)
    aug = crop_and_flip(normalize) if augment else None
    tasks = [Task(0, *c10[True], *c10[False], classes=list(range(10)), transform=transform, augment=aug)]
    for t in range(1, n_tasks):
        lo = 10 * (t - 1)
        parts = []
        for train in (True, False):
            x, y = c100[train]
            keep = (y >= lo) & (y < lo + 10)
            parts += [x[keep], y[keep] - lo]
        tasks.append(Task(t, *parts, classes=list(range(10 + lo, 20 + lo)), transform=transform, augment=aug))
    return Benchmark(
        "split_cifar",
        tasks,
        input_shape=(3, 32, 32),
        outputs_per_task=10,
        info={"first_task": "CIFAR-10", "later_tasks": "CIFAR-100 classes 0-49 in splits of 10"},
    )
