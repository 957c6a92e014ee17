"""The Avalanche rule family (workflow/rules/external/avalanche.smk): its configuration, the one-line
error without the extra, and (marker ``avalanche``, with ``pip install -e ".[avalanche]"``) two
strategies trained through the rule on a tiny synthetic stream."""

import importlib.util
import json
import subprocess
import sys

import pytest
import yaml

from hnet.analysis.aggregate import load_run
from tests.conftest import REPO
from tests.helpers import workflow_config

PAPER = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
LAYER = yaml.safe_load((REPO / "config" / "avalanche.yaml").read_text())
AVALANCHE = {m: e for m, e in PAPER["external_methods"].items() if e.get("framework") == "avalanche"}


def test_the_layer_repeats_the_paper_methods_and_adds_every_strategy():
    n = len(PAPER["methods"])
    assert LAYER["methods"][:n] == PAPER["methods"]
    assert sorted(LAYER["methods"][n:]) == sorted(AVALANCHE)
    assert not set(AVALANCHE) & set(PAPER["methods"])  # the core DAG never needs the extra


def test_every_strategy_argument_has_a_source():
    assert {"Naive", "EWC", "SynapticIntelligence", "LwF", "GEM", "AGEM", "Replay"} <= {
        e["strategy"] for e in AVALANCHE.values()
    }
    for name, entry in AVALANCHE.items():
        keys = set(entry.get("args", {})) | {k for cell in entry.get("cell_args", {}).values() for k in cell}
        keys |= {"fixes"} if entry.get("fixes") else set()  # an adapter correction cites what it corrects
        assert keys == set(entry["sources"]), name
        assert entry["group"] == "Avalanche"


# Snakemake parses the workflow in this process, so hiding the package from find_spec is what a
# machine without the extra sees.
HIDDEN = """
import importlib.util, sys
real = importlib.util.find_spec
importlib.util.find_spec = lambda name, package=None: None if name == "avalanche" else real(name, package)
from snakemake.cli import main
sys.argv = ["snakemake", *sys.argv[1:]]
main()
"""


def test_without_the_extra_the_dag_stops_in_one_line_naming_it(tmp_path):
    layer = tmp_path / "layer.yaml"
    cfg = workflow_config("av", {"split_mnist": {"seeds": 1, "scenarios": ["cl1"]}}, methods=["avalanche_ewc"])
    layer.write_text(yaml.safe_dump(cfg))
    proc = subprocess.run(
        [sys.executable, "-c", HIDDEN, "-n", "--configfile", str(layer), "--config", f"results={tmp_path}/r"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert (
        "1 run(s) of ['avalanche_ewc'] need avalanche-lib, which is not installed: pip install -e '.[avalanche]'" in out
    )


@pytest.mark.avalanche
@pytest.mark.skipif(importlib.util.find_spec("avalanche") is None, reason='needs pip install -e ".[avalanche]"')
def test_two_strategies_run_through_the_rule_on_a_synthetic_stream(tmp_path, synthetic_mnist):
    cfg = workflow_config(
        "av",
        {
            "split_mnist": {
                "seeds": 1,
                "scenarios": ["cl1", "cl3"],
                "overrides": {"iterations": 12, "target_hidden": [16]},
            }
        },
        methods=["avalanche_naive", "avalanche_ewc"],
        data_dir=str(synthetic_mnist),
        results=str(tmp_path / "results"),
    )
    layer = tmp_path / "layer.yaml"
    layer.write_text(yaml.safe_dump(cfg))
    runs = [
        f"{tmp_path}/results/runs/split_mnist/{sc}/{m}/seed1/metrics.json"
        for sc in ("cl1", "cl3")
        for m in ("avalanche_naive", "avalanche_ewc")
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", *runs, "--cores", "2", "--configfile", str(layer)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for path in runs:
        run = load_run(path)  # the documented schema, with the data checksums of the files read
        matrix = run["matrix"]
        assert len(matrix) == 5 and all(len(row) == 5 for row in matrix)
        assert all((v == v) == (i <= t) for t, row in enumerate(matrix) for i, v in enumerate(row))  # A[t, i], i <= t
        assert all(0 <= v <= 100 for row in matrix for v in row if v == v)
        assert run["provenance"]["code"]["avalanche"] and run["data_sha256"]
        assert run["config"]["iterations"] == 12 and run["config"]["target_hidden"] == [16]
    ewc = json.loads(open(runs[3]).read())["config"]
    assert ewc["strategy"] == "EWC" and ewc["strategy_args"] == {"mode": "separate", "ewc_lambda": 1.0e8}  # cl3's
    # the cell's iterations, in whole epochs of a task's batches (synthetic tasks: 120 images, 1 batch)
    assert all(it == 12 for it in ewc["iterations_per_task"])


@pytest.mark.avalanche
@pytest.mark.skipif(importlib.util.find_spec("avalanche") is None, reason='needs pip install -e ".[avalanche]"')
def test_si_trains_as_naive_on_a_cpu_unless_its_weights_are_copied(tmp_path, synthetic_mnist):
    """avalanche-lib 0.6.0's SI saves views of the weights on a CPU (importance 0): the same matrix as
    Naive, bitwise; the adapter's fix ``si_copy_weights`` makes it protect."""
    script = REPO / "workflow" / "scripts" / "avalanche_baseline.py"

    def matrix(method: str) -> list:
        entry = AVALANCHE[method]
        out = tmp_path / method / "metrics.json"
        argv = [sys.executable, str(script), "--benchmark", "split_mnist", "--scenario", "cl3", "--method", method]
        strength = {"si_lambda": 1e4} if entry["strategy"] == "SynapticIntelligence" else {}
        argv += ["--strategy", entry["strategy"], "--args", json.dumps({**entry.get("args", {}), **strength})]
        argv += [f"--fix={f}" for f in entry.get("fixes", [])]
        argv += ["--overrides", json.dumps({"iterations": 24, "target_hidden": [16]}), "--seed", "1"]
        argv += ["--data-dir", str(synthetic_mnist), "--device", "cpu", "--out", str(out)]
        proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(out.read_text())["matrix"]

    naive, si, si_copy = (matrix(m) for m in ("avalanche_naive", "avalanche_si", "avalanche_si_copy"))
    assert si == naive
    assert si_copy != naive
