"""Run requests: one table of every training job a workflow configuration asks for, settings
declared once, and the fingerprints that decide what retrains."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from hnet.benchmarks import BENCHMARKS, SCENARIOS
from hnet.errors import ConfigError
from hnet.registry import method_names, supported
from hnet.run.config import declared_settings, resolve
from hnet.run.grid import build_requests
from hnet.run.request import RunRequest
from tests.conftest import REPO

PAPER = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def merged(over: dict) -> dict:
    """``over`` layered over the paper configuration as Snakemake merges a --configfile."""

    def merge(a, b):
        return {
            **a,
            **{k: merge(a[k], v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v for k, v in b.items()},
        }

    return merge(PAPER, over)


def test_the_paper_configuration_is_one_table_of_requests():
    table = build_requests(PAPER)
    kinds = {r.purpose[0] for r in table.requests}
    assert kinds == {"grid", "sweep", "ent_study", "embedding_grid"}
    folders = [r.folder for r in table.requests]
    assert len(set(folders)) == len(folders)
    study = PAPER["ent_study"]
    assert len(table.of("ent_study")) == len(study["cells"]) * study["seeds"] * len(study["variants"])
    assert all(r.keep_checkpoint for r in table.of("ent_study") + table.of("embedding_grid"))
    fig4 = table.of("embedding_grid")[0]
    assert fig4.config["emb_dim"] == 2 and fig4.folder == "embedding_grid/split_mnist/cl1/seed1"
    assert {method for _, _, method, _ in table.external} == {"ncm"}
    # every grid request resolves as the command line would, and the seed is part of what it is
    r = next(
        r for r in table.of("grid") if (r.benchmark, r.scenario, r.method, r.seed) == ("split_mnist", "cl1", "hnet", 2)
    )
    assert r.config == resolve("split_mnist", "cl1", "hnet")[0] and r.folder == "runs/split_mnist/cl1/hnet/seed2"
    same_cell = RunRequest("split_mnist", "cl1", "hnet", 3)
    assert r.cell_fingerprint == same_cell.cell_fingerprint and r.fingerprint != same_cell.fingerprint


def test_a_preset_edit_changes_the_fingerprint_of_every_request_that_reads_it(tmp_path, monkeypatch):
    before = {r.folder: r.cell_fingerprint for r in build_requests(PAPER).requests}
    for path in (REPO / "hnet" / "presets").glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    preset = tmp_path / "split_mnist.yaml"
    preset.write_text(
        preset.read_text().replace(
            'beta: {value: 0.01, source: "AC class_beta = 0.01"}', 'beta: {value: 0.02, source: "a test"}'
        )
    )
    monkeypatch.setenv("HNET_PRESET_DIR", str(tmp_path))
    after = {r.folder: r.cell_fingerprint for r in build_requests(PAPER).requests}
    changed = {f for f in before if before[f] != after[f]}
    assert "ent_study/split_mnist/cl3/paper/seed1" in changed and "embedding_grid/split_mnist/cl1/seed1" in changed
    assert "sweeps/beta/0.01/seed1" not in changed  # the sweep sets beta itself
    assert "runs/split_mnist/cl1/hnet/seed1" in changed and "runs/split_mnist/cl2/hnet_tir/seed1" in changed
    assert "runs/split_mnist/cl1/ewc/seed1" not in changed  # EWC does not read beta
    assert "runs/permuted_mnist/cl1/hnet/seed1" not in changed


@pytest.mark.parametrize(
    "over,message",
    [
        (
            {
                "sweeps": [
                    {"name": "s", "cell": "split_mnist/cl1/hnet", "seeds": 1, "parameter": "chunk_size", "values": [0]}
                ]
            },
            "sweeps.s, point '0': config key 'chunk_size': must be positive (> 0)",
        ),
        ({"overrides": {"all": {"beta": float("nan")}}}, "config key 'beta': must be a finite number"),
        ({"embedding_grid": {"overrides": {"lr": float("inf")}}}, "embedding_grid.overrides: config key 'lr'"),
    ],
)
def test_bad_values_anywhere_in_the_config_stop_the_table_naming_the_entry(over, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_requests(merged(over))


def test_every_key_a_run_reads_is_declared_with_type_and_constraint():
    for b in sorted(BENCHMARKS):
        for s in SCENARIOS:
            for m in method_names():
                if not supported(b, s, m):
                    continue
                cfg = resolve(b, s, m)[0]
                declared = declared_settings(b, m, cfg["target_net"])
                assert set(cfg) <= set(declared), (b, s, m, set(cfg) - set(declared))
    listed = subprocess.run(
        [sys.executable, "-m", "hnet", "list", "--settings"], capture_output=True, text=True, check=True
    ).stdout
    for line in ("chunk_size", "int positive (> 0) or null", "target_hidden", "dropout_rate", "data_seed", "padding"):
        assert line in listed, line


def test_a_job_trains_what_the_dag_was_built_for_or_nothing(tmp_path, capsys):
    from hnet.run.cli import workflow_job
    from hnet.run.execute import Place

    job = RunRequest("regression", "cl1", "finetune", 1, {"iterations": 3}).job()
    out = tmp_path / "runs" / "seed1" / "metrics.json"
    assert workflow_job(job, [str(out)], Place(device="cpu")) == 0 and out.exists()
    moved = {**job, "cell_fingerprint": "0" * 16}  # as if a preset changed after the DAG was built
    other = tmp_path / "other" / "seed1" / "metrics.json"
    assert workflow_job(moved, [str(other)], Place(device="cpu")) == 2
    assert "resolves differently now than when the DAG was built" in capsys.readouterr().err
    assert not (tmp_path / "other").exists()
