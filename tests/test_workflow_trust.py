"""Results that can be trusted: the workflow reruns exactly what a config change affects, retrains a
deleted run, refuses runs from another configuration, files other datasets apart, and survives a
hard kill."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import REPO, make_synthetic_mnist
from tests.helpers import workflow_config
from tests.test_workflow import job_counts, snakemake

SMALL = workflow_config(
    "trust-test",
    {
        "regression": {"seeds": 2, "scenarios": ["cl1"], "overrides": {"iterations": 40}},
        "split_mnist": {
            "seeds": 1,
            "scenarios": ["cl1"],
            "methods": ["finetune"],
            "overrides": {"iterations": 10, "target_hidden": [16]},
        },
    },
    methods=["hnet", "finetune"],
)


def write_config(path, cfg):
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="module")
def small_run(synthetic_mnist, tmp_path_factory):
    root = tmp_path_factory.mktemp("trust")
    cfg = write_config(root / "small.yaml", SMALL)
    common = ["--config", f"results={root}/results", f"data_dir={synthetic_mnist}", "--cores", "2"]
    snakemake("--configfile", str(cfg), *common)
    return root, common


def scheduled(output: str, rule: str = "train") -> list[str]:
    """The output paths of the scheduled jobs of one rule in a dry run."""
    return [
        block.split("output: ")[1].split("\n")[0].split(",")[0]
        for block in output.split("\nrule ")[1:]
        if block.startswith(f"{rule}:")
    ]


def test_a_second_run_does_nothing(small_run):
    root, common = small_run
    out = snakemake("-n", "--configfile", str(root / "small.yaml"), *common)
    assert "Nothing to be done" in out.stdout + out.stderr


def test_a_changed_override_reruns_exactly_the_runs_it_changes(small_run):
    root, common = small_run
    changed = json.loads(json.dumps(SMALL))
    changed["benchmarks"]["split_mnist"]["overrides"]["iterations"] = 11
    out = snakemake("-n", "--configfile", str(write_config(root / "changed.yaml", changed)), *common).stdout
    trains = scheduled(out)
    assert len(trains) == 1 and "/runs/split_mnist/cl1/finetune/seed1/" in trains[0], trains
    counts = job_counts(out)
    assert counts["aggregate"] == 1 and counts["report"] == 1  # and the figures built from the tables
    # an override that applies to no run of a cell (hnet has no ewc_lambda) changes nothing there
    changed = json.loads(json.dumps(SMALL))
    changed["methods"] = ["hnet", "finetune"]
    changed["benchmarks"]["regression"]["overrides"]["beta"] = 0.5  # only hnet reads beta
    trains = scheduled(snakemake("-n", "--configfile", str(write_config(root / "beta.yaml", changed)), *common).stdout)
    assert sorted(trains) == sorted(f"{root}/results/runs/regression/cl1/hnet/seed{s}/metrics.json" for s in (1, 2))


def test_a_deleted_run_is_retrained(small_run):
    root, common = small_run
    run = root / "results" / "runs" / "regression" / "cl1" / "finetune" / "seed2" / "metrics.json"
    keep = run.with_suffix(".keep")
    shutil.copy2(run, keep)
    try:
        run.unlink()
        out = snakemake("-n", "--configfile", str(root / "small.yaml"), *common).stdout
        assert scheduled(out) == [str(run)]
        assert job_counts(out)["aggregate"] == 1
    finally:
        shutil.copy2(keep, run)
        keep.unlink()


def test_a_run_from_another_configuration_is_refused_and_listed(small_run):
    root, common = small_run
    run = root / "results" / "runs" / "regression" / "cl1" / "hnet" / "seed1" / "metrics.json"
    m = json.loads(run.read_text())
    m["fingerprint"] = "0123456789abcdef"  # as if trained under other settings and copied here
    run.write_text(json.dumps(m))
    proc = snakemake("--configfile", str(root / "small.yaml"), *common, "--forcerun", "aggregate", check=False)
    assert proc.returncode != 0
    assert (
        f"ERROR 1 run(s) were produced under another configuration than this one (fingerprint differs): {run}"
        in proc.stdout + proc.stderr
    )
    tables = root / "results" / "tables"  # every table the refused aggregation writes is removed, in every format
    assert not [p for p in tables.glob("*") if p.suffix in (".csv", ".md", ".tex")], sorted(tables.glob("*"))
    snakemake(
        "--configfile",
        str(root / "small.yaml"),
        *common[:-2],
        "on_missing_runs=skip",
        "--cores",
        "2",
        "--forcerun",
        "aggregate",
    )
    report = (root / "results" / "report.md").read_text()
    assert "**1 run(s) excluded**" in report and str(run) in report
    table = pd.read_csv(root / "results" / "tables" / "regression_final.csv", index_col=0)
    assert table.loc["hnet", "regression CL1"].endswith("(n=1 of 2)")


def test_provenance_in_runs_and_report(small_run):
    root, _ = small_run
    m = json.loads(
        (root / "results" / "runs" / "split_mnist" / "cl1" / "finetune" / "seed1" / "metrics.json").read_text()
    )
    prov = m["provenance"]
    assert prov["code"]["hnet"] and prov["code"]["torch"] and "commit" in prov["code"] and "dirty" in prov["code"]
    assert m["dataset"] == "mnist" and len(prov["data"]["files"]) == 4
    assert all(len(v) == 64 for v in prov["data"]["files"].values())
    assert prov["runtime"]["torch_threads"] >= 1 and prov["runtime"]["device"] == "cpu"
    if (REPO / ".git").exists():
        assert len(prov["code"]["commit"]) == 40
    report = (root / "results" / "report.md").read_text().split("## Reproduced beside published")[0]
    assert "## Provenance" in report and "data `mnist` files, combined SHA-256" in report and "- code `" in report


def test_another_dataset_is_filed_and_compared_apart(synthetic_mnist, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(synthetic_mnist, data)
    make_synthetic_mnist(data, seed=5, folder="FashionMNIST")
    cfg = write_config(
        tmp_path / "fashion.yaml",
        workflow_config(
            "fashion",
            {
                "split_mnist": {
                    "seeds": 1,
                    "scenarios": ["cl1"],
                    "datasets": ["mnist", "fashion_mnist"],
                    "overrides": {"iterations": 10, "target_hidden": [16]},
                }
            },
            methods=["finetune"],
        ),
    )
    snakemake("--configfile", str(cfg), "--config", f"results={tmp_path}/results", f"data_dir={data}", "--cores", "2")
    fashion = json.loads(
        (
            tmp_path / "results" / "runs" / "split_mnist-fashion_mnist" / "cl1" / "finetune" / "seed1" / "metrics.json"
        ).read_text()
    )
    assert fashion["dataset"] == "fashion_mnist" and fashion["config"]["dataset"] == "fashion_mnist"
    assert all(k.startswith("FashionMNIST/raw/") for k in fashion["provenance"]["data"]["files"])
    table = pd.read_csv(tmp_path / "results" / "tables" / "table1_final.csv", index_col=0)
    assert {"split_mnist CL1", "split_mnist-fashion_mnist CL1"} <= set(table.columns)
    report = (tmp_path / "results" / "report.md").read_text()
    assert "split_mnist-fashion_mnist CL1 finetune: final mean" in report.split("no published counterpart")[1]
    assert "| split_mnist | CL1 | finetune | final_mean | 87.19 |" in report


def test_a_hard_killed_workflow_finishes_with_the_same_tables(synthetic_mnist, tmp_path):
    """kill -9 of snakemake (and its jobs) mid-DAG, `snakemake --unlock`, the same command again: the
    tables equal an uninterrupted run's, finished runs are kept and killed runs resume."""
    cfg = write_config(
        tmp_path / "kill.yaml",
        workflow_config(
            "kill",
            {
                "permuted_mnist": {
                    "seeds": 2,
                    "scenarios": ["cl1"],
                    "overrides": {
                        "n_tasks": 4,
                        "iterations": 150,
                        "target_hidden": [32],
                        "hnet_hidden": [8],
                        "emb_dim": 4,
                        "chunk_emb_dim": 4,
                        "chunk_size": 4000,
                    },
                }
            },
            methods=["hnet", "finetune"],
        ),
    )

    def args(results):
        return [
            "--configfile",
            str(cfg),
            "--config",
            f"results={results}",
            f"data_dir={synthetic_mnist}",
            "--cores",
            "2",
        ]

    snakemake(*args(tmp_path / "whole"))
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "snakemake", *args(killed)],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()

    def finished_outputs() -> set[Path]:
        """Outputs of the train jobs Snakemake has reported finished."""
        text = "".join(lines)
        outputs = dict(re.findall(r"rule train:\n\s+input:.*?\n\s+output: (\S+), .*?\n.*?jobid: (\d+)", text, re.S))
        outputs = {jobid: Path(path) for path, jobid in outputs.items()}
        return {outputs[j] for j in re.findall(r"Finished jobid: (\d+)", text) if j in outputs}

    deadline = time.time() + 120
    while time.time() < deadline and not (finished_outputs() and list(killed.glob("runs/**/checkpoint.pt"))):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p: p.stat().st_mtime for p in finished_outputs()}
    resumable = [p.parent for p in killed.glob("runs/**/checkpoint.pt")]
    assert finished and resumable, "the kill did not land mid-DAG"
    snakemake("--unlock", *args(killed))
    snakemake(*args(killed))
    assert all(p.stat().st_mtime == t for p, t in finished.items()), "a finished run was retrained"
    for folder in resumable:
        log = killed / "logs" / "train" / folder.relative_to(killed).with_suffix(".log")
        assert "resuming after task" in log.read_text()
    cols = ["benchmark", "scenario", "method", "seed", "task", "final", "during"]
    a = pd.read_csv(tmp_path / "whole" / "tables" / "runs.csv")[cols].sort_values(cols[:5]).reset_index(drop=True)
    b = pd.read_csv(killed / "tables" / "runs.csv")[cols].sort_values(cols[:5]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
