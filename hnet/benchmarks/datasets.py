"""Datasets on disk: where each lives under ``data_dir`` (torchvision's layout), its files, and a
download that leaves nothing behind when it fails.

Each dataset module declares its ``Dataset`` entries; ``hnet.benchmarks.DATASETS`` collects them,
and the workflow asks that table for a run's data inputs and download targets.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hnet.errors import DataError


@dataclass(frozen=True)
class Dataset:
    name: str
    folder: str  # torchvision's root folder name under data_dir
    files: tuple[str, ...]  # what must exist under <data_dir>/<folder>/
    fetch: Callable[[str], object] | None = None  # downloads and checks the files into data_dir
    # (data_dir, a folder the user named or None) -> {canonical "<folder>/<file>": the file read, or None}
    locate: Callable[..., dict[str, Path | None]] | None = None

    def paths(self, data_dir: str | Path) -> list[Path]:
        """Where torchvision's layout keeps the files under ``data_dir`` (what a download writes)."""
        return [Path(data_dir) / self.folder / f for f in self.files]

    def located(self, data_dir: str | Path, where: str | Path | None = None) -> dict[str, Path | None]:
        """Canonical name -> the file a run reads for it (None when absent)."""
        if self.locate is not None:
            return self.locate(data_dir, where)
        if where is not None:
            raise ValueError(f"dataset {self.name!r} is read from torchvision's layout only; set data_dir instead")
        return {f"{self.folder}/{f}": (p if p.is_file() else None) for f, p in zip(self.files, self.paths(data_dir))}

    def missing(self, data_dir: str | Path) -> list[Path]:
        return [p for p in self.paths(data_dir) if not p.is_file()]


def download_or_clean_up(target: Path, download: Callable[[], object], what: str) -> None:
    """Run ``download``; if it fails, remove the folders it created under ``target`` and raise a DataError."""
    created = [p for p in (target, *target.parents) if not p.exists()]
    try:
        download()
    except Exception as err:  # network and archive errors come in many types
        for folder in sorted(created, key=lambda p: len(p.parts)):
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
                break  # the outermost created folder holds the rest
        why = " ".join(str(err).split())  # torchvision's text spans several lines
        raise DataError(f"{what} is missing from {target} and the download failed: {why}") from err
