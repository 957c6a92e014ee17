"""Integrity checks for MNIST's IDX files before torchvision reads them.

torchvision's own reader fails on a truncated or malformed file with an error that names neither
the file nor what was expected; these checks do, and verify the official gzip archives against
torchvision's MD5 sums when the archives are present.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np

from hnet.errors import DataError


class DataIntegrityError(DataError):
    """A data file that is truncated, malformed or fails its checksum."""


def read_idx_header(path: Path) -> tuple[int, tuple[int, ...]]:
    with open(path, "rb") as f:
        head = f.read(4)
        if len(head) < 4 or head[0] != 0 or head[1] != 0:
            raise DataIntegrityError(f"{path}: not an IDX file (bad magic number {head!r})")
        dtype_code, ndim = head[2], head[3]
        dims_raw = f.read(4 * ndim)
        if len(dims_raw) < 4 * ndim:
            raise DataIntegrityError(f"{path}: truncated IDX header (expected {ndim} dimensions)")
    return dtype_code, struct.unpack(">" + "I" * ndim, dims_raw)


def check_idx_pair(images: Path, labels: Path, n_classes: int = 10, image_shape=(28, 28)) -> None:
    for path in (images, labels):
        if not path.is_file():
            raise DataIntegrityError(f"{path}: missing")
    code, dims = read_idx_header(images)
    if code != 0x08 or len(dims) != 3 or tuple(dims[1:]) != tuple(image_shape):
        raise DataIntegrityError(
            f"{images}: expected uint8 images of shape (N, {image_shape[0]}, {image_shape[1]}), "
            f"found type code {code:#x} and shape {dims}")
    expected = 4 + 4 * len(dims) + math.prod(dims)
    size = images.stat().st_size
    if size != expected:
        raise DataIntegrityError(f"{images}: {size} bytes, expected {expected} for {dims[0]} images "
                                 "(truncated or corrupt file)")
    code, ldims = read_idx_header(labels)
    if code != 0x08 or len(ldims) != 1:
        raise DataIntegrityError(f"{labels}: expected a 1-D uint8 label file, found type {code:#x} shape {ldims}")
    expected = 8 + ldims[0]
    if labels.stat().st_size != expected:
        raise DataIntegrityError(f"{labels}: {labels.stat().st_size} bytes, expected {expected} "
                                 "(truncated or corrupt file)")
    if ldims[0] != dims[0]:
        raise DataIntegrityError(f"{labels}: {ldims[0]} labels but {images} holds {dims[0]} images")
    values = np.fromfile(labels, dtype=np.uint8, offset=8)
    if values.size and values.max() >= n_classes:
        raise DataIntegrityError(f"{labels}: label {int(values.max())} outside 0..{n_classes - 1}")


def check_archives(raw: Path, resources) -> None:
    """MD5 of every official archive present in ``raw`` (absent archives are fine: offline copies)."""
    from torchvision.datasets.utils import check_integrity

    for filename, md5 in resources:
        path = raw / filename
        if path.is_file() and not check_integrity(str(path), md5):
            raise DataIntegrityError(f"{path}: MD5 does not match torchvision's checksum {md5}")
