"""The SLURM profile on a real single-node SLURM cluster (tests/slurm_cluster.py): jobs go through
sbatch, the tables equal a local run's, a second run does nothing, a failed job names its logs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import REPO
from tests.helpers import workflow_config
from tests.slurm_cluster import Cluster, install_if_possible

pytestmark = pytest.mark.slurm
PROFILE = str(REPO / "workflow" / "profiles" / "slurm")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    why = install_if_possible()
    if why:
        pytest.skip(why)
    pytest.importorskip("snakemake_executor_plugin_slurm")
    etc = etc_slurm()
    with Cluster(tmp_path_factory.mktemp("slurm")) as c:
        yield c
    assert etc_slurm() == etc, "the cluster test changed /etc/slurm"


def etc_slurm() -> dict:
    """What /etc/slurm holds (the packages' files): the test leaves it as it was."""
    root = Path("/etc/slurm")
    return {str(p): (p.is_symlink(), p.lstat().st_mtime_ns) for p in sorted(root.rglob("*"))} if root.exists() else {}


def run(env, *args, check=True):
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", *args], cwd=REPO, capture_output=True, text=True, env=env, timeout=1200
    )
    if check and proc.returncode != 0:
        raise AssertionError(proc.stdout[-3000:] + proc.stderr[-3000:])
    return proc


def slurm_args(tmp_path):
    return [
        "--profile",
        PROFILE,
        "--slurm-logdir",
        str(tmp_path / "slurm_logs"),
        "--slurm-keep-successful-logs",
        "--slurm-init-seconds-before-status-checks",
        "3",
    ]


def test_a_tiny_dag_through_slurm_equals_a_local_run(cluster, synthetic_mnist, tmp_path):
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(
        yaml.safe_dump(
            workflow_config(
                "slurm-tiny",
                {
                    "regression": {"seeds": 1, "scenarios": ["cl1"], "overrides": {"iterations": 30}},
                    "split_mnist": {
                        "seeds": 1,
                        "scenarios": ["cl1"],
                        "methods": ["finetune"],
                        "overrides": {"iterations": 10, "target_hidden": [16]},
                    },
                },
                methods=["hnet", "finetune"],
            )
        )
    )

    def args(results):
        return ["--configfile", str(cfg), "--config", f"results={results}", f"data_dir={synthetic_mnist}"]

    run(cluster.env, *args(tmp_path / "local"), "--cores", "2")
    start = time.time()
    out = run(cluster.env, *args(tmp_path / "slurm"), *slurm_args(tmp_path))
    text = out.stdout + out.stderr
    submitted = [line for line in text.splitlines() if "has been submitted with SLURM jobid" in line]
    assert len(submitted) == 3, text[-3000:]  # the three training jobs, through sbatch
    assert all("rule_train" in line for line in submitted)
    assert "localrule aggregate" in text and "localrule report" in text  # small rules stay local
    assert len(list((tmp_path / "slurm_logs" / "rule_train").glob("*/*.log"))) == 3
    cols = ["benchmark", "scenario", "method", "seed", "task", "final", "during"]
    local = pd.read_csv(tmp_path / "local" / "tables" / "runs.csv")[cols].sort_values(cols[:5]).reset_index(drop=True)
    slurm = pd.read_csv(tmp_path / "slurm" / "tables" / "runs.csv")[cols].sort_values(cols[:5]).reset_index(drop=True)
    pd.testing.assert_frame_equal(local, slurm)
    again = run(cluster.env, *args(tmp_path / "slurm"), *slurm_args(tmp_path))
    assert "Nothing to be done" in again.stdout + again.stderr
    print(f"SLURM run of the tiny DAG: {time.time() - start:.0f} s")


def test_a_failed_slurm_job_names_its_logs(cluster, synthetic_mnist, tmp_path):
    cfg = tmp_path / "failing.yaml"
    cfg.write_text(
        yaml.safe_dump(
            workflow_config(
                "slurm-failing",
                {
                    "regression": {
                        "seeds": 1,
                        "scenarios": ["cl1"],
                        "overrides": {"iterations": 20, "ewc_lambda": 1e300},
                    }
                },
                methods=["ewc"],
            )
        )
    )
    out = run(
        cluster.env,
        "--configfile",
        str(cfg),
        "--config",
        f"results={tmp_path}/results",
        *slurm_args(tmp_path),
        "--retries",
        "0",
        check=False,
    )
    text = out.stdout + out.stderr
    assert out.returncode != 0
    rule_log = tmp_path / "results" / "logs" / "train" / "runs" / "regression" / "cl1" / "ewc" / "seed1.log"
    assert str(rule_log) in text and "slurm_logs/rule_train" in text  # both logs are named
    assert "non-finite loss" in rule_log.read_text()
