"""Where a result comes from: code version, data files and runtime, for every metrics.json.

Data checksums are SHA-256 of each file's decompressed content (a gzipped copy and an uncompressed
one of the same data agree), keyed by the file's canonical name in torchvision's layout wherever it
was read from, computed once per file and cached by (path, size, modification time) in
``$XDG_CACHE_HOME/hnet-repro/sha256.json`` (default ``~/.cache``), so runs do not re-read tens of
megabytes each; a changed file gets a new checksum.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path

import numpy as np
import torch

import hnet
from hnet.benchmarks import DATASETS, spec
from hnet.benchmarks.idx import content_sha256
from hnet.run.io import atomic_write_json

REPO = Path(__file__).resolve().parents[2]


def cache_file() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "hnet-repro" / "sha256.json"


def sha256(path: Path, cache: dict) -> str:
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    if key not in cache:
        cache[key] = content_sha256(path)
    return cache[key]


def data_provenance(benchmark: str, cfg: dict, data_dir: str, dataset_dirs: dict | None = None) -> dict:
    """``{dataset, files: {canonical name: sha256 of the content}, folders}`` of the files this run
    read (empty for generated data); ``folders``: the folders the user named (``dataset_dirs``)."""
    datasets = spec(benchmark).datasets(cfg)
    if not datasets:
        return {"dataset": None, "files": {}}
    path = cache_file()
    try:
        cache = json.loads(path.read_text())
    except (OSError, ValueError):
        cache = {}
    before = len(cache)
    files, folders = {}, {}
    for name in datasets:
        where = (dataset_dirs or {}).get(name)
        if where is not None:
            folders[name] = str(Path(where).resolve())
        for key, p in DATASETS[name].located(data_dir, where).items():
            if p is not None:
                files[key] = sha256(p, cache)
    if len(cache) != before:
        try:
            atomic_write_json(path, cache)
        except OSError:
            pass  # a read-only home: checksums are recomputed next time
    return {"dataset": "+".join(datasets), "files": files, **({"folders": folders} if folders else {})}


def git_state(repo: Path = REPO) -> dict:
    """The commit of the checkout the code runs from and whether it had uncommitted changes, new
    files git does not ignore included (a new method module is a change); None outside git."""
    if not (repo / ".git").exists():
        return {"commit": None, "dirty": None}

    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=20)

    try:
        head = git("rev-parse", "HEAD")
        status = git("status", "--porcelain")
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "dirty": None}
    if head.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def code_provenance() -> dict:
    return {
        "hnet": hnet.__version__,
        **git_state(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
    }


def runtime(device: torch.device) -> dict:
    name = platform.processor() or platform.machine() if device.type == "cpu" else torch.cuda.get_device_name(device)
    return {"device": device.type, "device_name": name, "torch_threads": torch.get_num_threads()}
