"""Results files appear complete or not at all: write to a temporary file, then rename.

A failed write (disk full, read-only folder) removes the temporary file, leaves any previous
version of the file untouched and is reported as a ``UserError`` naming the file. Files get the
permissions the umask allows (a temporary file is created 0600), so results shared on a cluster
file system can be read by the group as any other file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

from hnet.errors import UserError


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic(path: str | Path, write: Callable[[str], None]) -> None:
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        write(tmp)
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    except OSError as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        why = " ".join(str(err.strerror or err).split())
        raise UserError(f"cannot write {path}: {why}") from err
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    _atomic(path, write)


def _json_safe(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def atomic_write_json(path: str | Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(_json_safe(obj), indent=2, allow_nan=False) + "\n").encode())


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def atomic_torch_save(path: str | Path, obj) -> None:
    def write(tmp: str) -> None:
        try:
            torch.save(obj, tmp)
        except RuntimeError as err:  # torch's writer reports a full disk as a RuntimeError
            raise OSError(str(err).strip().splitlines()[-1] if str(err).strip() else "write failed") from err

    _atomic(path, write)
