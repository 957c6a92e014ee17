"""A finished run brought back to life from its folder: metrics.json plus the checkpoint kept with
``--keep-checkpoint``, for tools that study a trained model (ENT study, embedding grids)."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from hnet.benchmarks import Benchmark, Scenario, build_benchmark
from hnet.core import Context, Method
from hnet.errors import UserError
from hnet.registry import method_class


def data_folders(metrics: dict) -> dict[str, str]:
    """The folders a run read its datasets from in place (``dataset_dirs``), from its provenance."""
    return metrics.get("provenance", {}).get("data", {}).get("folders", {})


def restore_run(
    run_dir: Path, data_dir: str, method: str | None = None, **data_overrides
) -> tuple[dict, Benchmark, Method]:
    """(metrics.json, the run's benchmark, its method with the trained state) on the CPU."""
    run_dir = Path(run_dir)
    if not (run_dir / "metrics.json").exists():
        raise UserError(f"{run_dir}: no metrics.json (not a finished run)")
    m = json.loads((run_dir / "metrics.json").read_text())
    if method is not None and m["method"] != method:
        raise UserError(f"{run_dir}: a {method} run is needed, found {m['method']!r}")
    if not (run_dir / "checkpoint.pt").exists():
        raise UserError(f"{run_dir}: no checkpoint.pt; train the run with --keep-checkpoint")
    cfg = {**m["config"], **data_overrides}
    bench = build_benchmark(m["benchmark"], cfg, data_dir, download=False, dataset_dirs=data_folders(m))
    scenario = Scenario(m["scenario"], bench.n_tasks, bench.outputs_per_task, bench.regression)
    trained = method_class(m["method"])(Context(bench, scenario, m["config"], torch.device("cpu")))
    state = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    trained.load_state_dict(state["method"])
    return m, bench, trained
