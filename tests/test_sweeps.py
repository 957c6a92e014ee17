"""Sweeps through the workflow: one run per (point, seed), a tidy table and a plot; adding a point
trains only that point."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from hnet.analysis.sweeps import observation, summary
from tests.helpers import workflow_config
from tests.test_workflow import job_counts, snakemake


def config(values):
    return workflow_config(
        "sweep-test",
        {"regression": {"seeds": 1, "scenarios": ["cl1"], "overrides": {"iterations": 30}}},
        methods=["finetune"],
        sweeps=[
            {
                "name": "beta",
                "title": "toy beta",
                "cell": "regression/cl1/hnet",
                "seeds": 2,
                "parameter": "beta",
                "values": values,
                "log_x": True,
            },
            {
                "name": "ratio",
                "cell": "regression/cl1/hnet",
                "seeds": 1,
                "x": "compression_ratio",
                "points": [{"name": "small", "overrides": {"hnet_hidden": [3]}}, {"name": "preset", "overrides": {}}],
            },
        ],
    )


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    cfg = root / "sweep.yaml"
    cfg.write_text(yaml.safe_dump(config([0.001, 0.1])))
    common = ["--config", f"results={root}/results", "--cores", "2"]
    snakemake("--configfile", str(cfg), *common)
    return root, common


def test_a_sweep_writes_its_table_plot_and_report_section(sweep_run):
    root, _ = sweep_run
    table = pd.read_csv(root / "results" / "sweeps" / "beta" / "table.csv")
    assert len(table) == 2 * 2 and sorted(table["x"].unique()) == [0.001, 0.1]
    assert {"point", "seed", "x", "final_mean", "during_mean", "compression_ratio", "wall_time_s"} <= set(table.columns)
    ratio = pd.read_csv(root / "results" / "sweeps" / "ratio" / "table.csv")
    assert ratio.set_index("point").loc["small", "x"] < ratio.set_index("point").loc["preset", "x"]
    assert (ratio["x"] == ratio["compression_ratio"]).all()
    for name in ("beta", "ratio"):
        assert (root / "results" / "figures" / "sweeps" / f"{name}.png").stat().st_size > 10_000
    report = (root / "results" / "report.md").read_text()
    assert "## Sweeps" in report and "### toy beta" in report and "Measured: final" in report


def test_adding_a_point_trains_only_that_point(sweep_run):
    root, common = sweep_run
    cfg = root / "more.yaml"
    cfg.write_text(yaml.safe_dump(config([0.001, 0.1, 1.0])))
    counts = job_counts(snakemake("-n", "--configfile", str(cfg), *common).stdout)
    assert counts["train"] == 2 and counts["sweep"] == 1  # 1 point x 2 seeds


def test_summary_and_observation_are_computed_from_the_runs():
    table = pd.DataFrame(
        {
            "sweep": "s",
            "point": ["a", "a", "b", "b"],
            "seed": [1, 2, 1, 2],
            "x": [1, 1, 10, 10],
            "final_mean": [90.0, 92.0, 80.0, 82.0],
            "during_mean": [95.0] * 4,
            "wall_time_s": 1.0,
        }
    )
    s = summary(table)
    assert s["final"].tolist() == [91.0, 81.0] and s["final_sem"].tolist() == [1.0, 1.0]
    text = observation(table, "beta")
    assert "peaks at beta = 1 (91.00)" in text and "more than 1 point below at 10 (81.00)" in text
