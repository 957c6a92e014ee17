"""Datasets on disk: where each lives under ``data_dir`` (torchvision's layout) and its files.

Each dataset module declares its ``Dataset``; ``hnet.benchmarks.DATASETS`` collects them, and the
workflow asks that table for a benchmark's data inputs and download targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Dataset:
    name: str
    folder: str  # torchvision's root folder name under data_dir
    files: tuple[str, ...]  # what must exist under <data_dir>/<folder>/

    def paths(self, data_dir: str | Path) -> list[Path]:
        return [Path(data_dir) / self.folder / f for f in self.files]
