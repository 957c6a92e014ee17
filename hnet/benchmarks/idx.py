"""MNIST-format IDX files, read and checked: uncompressed or gzipped, wherever they lie.

torchvision's reader needs its own layout (``<data_dir>/<Folder>/raw/``), uncompressed files and
official archives; Linux distributions and shared dataset folders keep flat folders of gzipped IDX
files, recompressed (so with other MD5 sums). Here a file is judged by its decompressed content:
its IDX header, its size, its labels; ``content_sha256`` identifies it whatever the compression, so
provenance stays comparable between a gzipped and an uncompressed copy.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from hnet.errors import DataError


class DataIntegrityError(DataError):
    """A data file that is truncated, malformed or fails its checksum."""


def idx_file(folder: Path, name: str) -> Path | None:
    """``folder/name``, else ``folder/name.gz``, else None."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _content(path: Path) -> bytes:
    if path.suffix != ".gz":
        return path.read_bytes()
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as err:
        raise DataIntegrityError(f"{path}: not a readable gzip file ({err})") from None


def content_sha256(path: Path) -> str:
    """SHA-256 of the file's decompressed content (the file itself when it is not gzipped)."""
    digest = hashlib.sha256()
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise DataIntegrityError(f"{path}: not a readable gzip file ({err})") from None
    return digest.hexdigest()


def _header(path: Path, data: bytes) -> tuple[int, tuple[int, ...], int]:
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataIntegrityError(f"{path}: not an IDX file (bad magic number {data[:4]!r})")
    code, ndim = data[2], data[3]
    if len(data) < 4 + 4 * ndim:
        raise DataIntegrityError(f"{path}: truncated IDX header (expected {ndim} dimensions)")
    return code, struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim]), 4 + 4 * ndim


def read_idx_pair(
    images: Path, labels: Path, n_classes: int = 10, image_shape=(28, 28)
) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 images (N, H, W), uint8 labels (N,)) after checking both files' structure."""
    data = _content(images)
    code, dims, start = _header(images, data)
    if code != 0x08 or len(dims) != 3 or tuple(dims[1:]) != tuple(image_shape):
        raise DataIntegrityError(
            f"{images}: expected uint8 images of shape (N, {image_shape[0]}, {image_shape[1]}), "
            f"found type code {code:#x} and shape {dims}"
        )
    if len(data) != start + math.prod(dims):
        raise DataIntegrityError(
            f"{images}: {len(data)} bytes, expected {start + math.prod(dims)} for {dims[0]} "
            "images (truncated or corrupt file)"
        )
    x = np.frombuffer(data, np.uint8, offset=start).reshape(dims)
    raw = _content(labels)
    code, ldims, start = _header(labels, raw)
    if code != 0x08 or len(ldims) != 1:
        raise DataIntegrityError(f"{labels}: expected a 1-D uint8 label file, found type {code:#x} shape {ldims}")
    if len(raw) != start + ldims[0]:
        raise DataIntegrityError(f"{labels}: {len(raw)} bytes, expected {start + ldims[0]} (truncated or corrupt file)")
    if ldims[0] != dims[0]:
        raise DataIntegrityError(f"{labels}: {ldims[0]} labels but {images} holds {dims[0]} images")
    y = np.frombuffer(raw, np.uint8, offset=start)
    if y.size and y.max() >= n_classes:
        raise DataIntegrityError(f"{labels}: label {int(y.max())} outside 0..{n_classes - 1}")
    return x, y


def check_archives(raw: Path, resources) -> None:
    """MD5 of official archives (CIFAR's tarball, when present beside its extracted files)."""
    from torchvision.datasets.utils import check_integrity

    for filename, md5 in resources:
        path = raw / filename
        if path.is_file() and not check_integrity(str(path), md5):
            raise DataIntegrityError(f"{path}: MD5 does not match torchvision's checksum {md5}")
