"""Shared fixtures: small synthetic MNIST in torchvision's on-disk (IDX) layout, run helpers."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data"


def write_idx(path: Path, array: np.ndarray) -> None:
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape)
    path.write_bytes(header + array.tobytes())


def make_synthetic_mnist(
    root: Path, n_train_per_class: int = 60, n_test_per_class: int = 20, seed: int = 0, folder: str = "MNIST"
) -> Path:
    """Ten classes, each a fixed random stroke pattern plus pixel noise; learnable in a few steps.

    ``folder`` is torchvision's folder of an MNIST-format dataset (MNIST, FashionMNIST, KMNIST)."""
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((10, 28, 28)) < 0.25).astype(np.float32)
    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for split, per_class in (("train", n_train_per_class), ("t10k", n_test_per_class)):
        labels = np.repeat(np.arange(10), per_class)
        rng.shuffle(labels)
        images = prototypes[labels] * rng.uniform(0.6, 1.0, (len(labels), 1, 1))
        images = images + rng.normal(0, 0.25, images.shape)
        images = (np.clip(images, 0, 1) * 255).round().astype(np.uint8)
        write_idx(raw / f"{split}-images-idx3-ubyte", images)
        write_idx(raw / f"{split}-labels-idx1-ubyte", labels.astype(np.uint8))
    return root


@pytest.fixture(scope="session")
def synthetic_mnist(tmp_path_factory) -> Path:
    return make_synthetic_mnist(tmp_path_factory.mktemp("data"))


@pytest.fixture(autouse=True)
def _torch_threads():
    torch.set_num_threads(2)
    yield


def make_synthetic_cifar(root: Path, per_class_train: int = 6, per_class_test: int = 3, seed: int = 0) -> Path:
    """CIFAR-10 and CIFAR-100 in torchvision's extracted on-disk format (pickled batches): each class a
    fixed random colour pattern plus noise, so that a network can learn it in a few steps."""
    import pickle

    rng = np.random.default_rng(seed)

    def images(labels, prototypes):
        x = prototypes[labels] + rng.normal(0, 20, (len(labels), 3072))
        return np.clip(x, 0, 255).astype(np.uint8)

    def dump(path: Path, obj) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            pickle.dump(obj, f)

    protos10 = rng.uniform(0, 255, (10, 3072))
    c10 = root / "cifar-10-batches-py"
    for i in range(1, 6):
        labels = np.repeat(np.arange(10), max(1, per_class_train // 5 + (i <= per_class_train % 5)))
        rng.shuffle(labels)
        dump(c10 / f"data_batch_{i}", {b"data": images(labels, protos10), b"labels": labels.tolist()})
    labels = np.repeat(np.arange(10), per_class_test)
    dump(c10 / "test_batch", {b"data": images(labels, protos10), b"labels": labels.tolist()})
    dump(c10 / "batches.meta", {b"label_names": [f"c{i}".encode() for i in range(10)]})
    protos100 = rng.uniform(0, 255, (100, 3072))
    c100 = root / "cifar-100-python"
    for name, per in (("train", per_class_train), ("test", per_class_test)):
        labels = np.repeat(np.arange(100), per)
        rng.shuffle(labels)
        dump(
            c100 / name,
            {
                b"data": images(labels, protos100),
                b"fine_labels": labels.tolist(),
                b"coarse_labels": (labels // 5).tolist(),
            },
        )
    dump(c100 / "meta", {b"fine_label_names": [f"f{i}".encode() for i in range(100)]})
    return root


@pytest.fixture(scope="session")
def synthetic_cifar(tmp_path_factory) -> Path:
    return make_synthetic_cifar(tmp_path_factory.mktemp("cifar"))


@pytest.fixture
def float64():
    """Tensors created in the test default to float64 (exactness checks)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)
