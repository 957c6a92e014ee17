"""The Snakemake workflow: lint, the paper DAG's size, a real tiny run, rerun behaviour, config checks."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from hnet.benchmarks import scenarios_of
from hnet.registry import method_names, supported
from tests.conftest import REPO
from tests.helpers import workflow_config


def snakemake(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=REPO, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(proc.stdout[-3000:] + proc.stderr[-3000:])
    return proc


def job_counts(output: str) -> dict[str, int]:
    block = output.split("Job stats:")[1]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", block, re.M)}


def test_lint_is_clean():
    proc = snakemake("--lint")
    assert "Congratulations, your workflow is in a good condition!" in proc.stdout + proc.stderr


def test_paper_dag_has_one_training_job_per_configured_cell(tmp_path):
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    expected, external = 0, 0
    for bench, spec in config["benchmarks"].items():
        for sc in spec["scenarios"]:
            assert sc in scenarios_of(bench)
            for m in spec.get("methods", config["methods"]):
                if m in method_names():
                    expected += supported(bench, sc, m) * spec["seeds"]
                else:
                    external += (sc in config["external_methods"][m]["benchmarks"].get(bench, [])) * spec["seeds"]
    proc = snakemake("-n", "--config", f"results={tmp_path}/results")
    counts = job_counts(proc.stdout)
    n_sweep = sum(s["seeds"] * len(s.get("points", s.get("values", []))) for s in config["sweeps"])
    assert counts["train"] == expected + n_sweep  # one training rule for the grid and every sweep point
    assert counts["external_ncm"] == external == 3 * 20
    assert expected > 500  # 4 benchmarks, 20 seeds for the MNIST table
    study = config["ent_study"]
    n_study = len(study["cells"]) * study["seeds"] * len(study["variants"])
    assert counts["ent_study"] == n_study
    assert counts["train_keeping_checkpoint"] == n_study + 1  # the ENT study's runs and the Fig. 4 run


TINY = workflow_config(
    "tiny-test",
    {
        "regression": {
            "seeds": 2,
            "scenarios": ["cl1"],
            "methods": ["hnet", "finetune"],
            "overrides": {"iterations": 60},
        },
        "split_mnist": {
            "seeds": 2,
            "scenarios": ["cl1", "cl3"],
            "overrides": {
                "iterations": 15,
                "target_hidden": [20],
                "chunk_size": 5000,
                "hnet_hidden": [4],
                "emb_dim": 4,
                "chunk_emb_dim": 4,
            },
        },
    },
    methods=["hnet", "finetune", "joint"],
    ent_study={
        "enabled": True,
        "cells": ["split_mnist/cl3"],
        "seeds": 1,
        "val_fraction": 0.2,
        "variants": [{"name": "paper", "overrides": {}}, {"name": "short", "overrides": {"iterations": 8}}],
    },
    embedding_grid={"cell": "split_mnist/cl1", "seed": 1, "grid": 4, "test_images": 20, "overrides": {}},
)


@pytest.fixture(scope="module")
def tiny_run(synthetic_mnist, tmp_path_factory):
    root = tmp_path_factory.mktemp("wf")
    cfg = root / "tiny.yaml"
    cfg.write_text(yaml.safe_dump(TINY))
    args = [
        "--configfile",
        str(cfg),
        "--config",
        f"results={root}/results",
        f"data_dir={synthetic_mnist}",
        "--cores",
        "2",
    ]
    proc = snakemake(*args)
    return root / "results", args, proc


def test_tiny_run_writes_tables_figures_and_report(tiny_run):
    results, _, _ = tiny_run
    runs = pd.read_csv(results / "tables" / "runs.csv")
    # regression: 2 methods x 2 seeds x 3 tasks; split_mnist: (cl1: 3 methods + cl3: 2 methods) x 2 seeds x 5 tasks
    assert len(runs) == 2 * 2 * 3 + 5 * 2 * 5
    table = pd.read_csv(results / "tables" / "split_mnist_final.csv", index_col=0)
    assert set(table.index) == {"hnet", "finetune", "joint"}
    assert set(table.columns) == {"split_mnist CL1", "split_mnist CL3"}
    assert table.loc["hnet", "split_mnist CL3"] == "—"
    assert "(n=2)" in table.loc["finetune", "split_mnist CL1"]
    for ext in ("md", "tex"):
        assert (results / "tables" / f"split_mnist_final.{ext}").stat().st_size > 0
    for kind in ("accuracy_matrix", "final_per_task", "final_vs_during"):
        for panel in ("split_mnist_cl1", "split_mnist_cl3", "regression_cl1"):
            for ext in ("png", "pdf"):
                assert (results / "figures" / kind / f"{panel}.{ext}").stat().st_size > 1000
    assert (results / "figures" / "regression_fits.png").exists()
    report = (results / "report.md").read_text()
    assert "| regression | CL1 | hnet | final_task1 | 0.00419 |" in report
    assert "| split_mnist | CL1 | finetune | final_mean | 87.19 |" in report
    assert "split_mnist CL3 hnet_ent final_mean" in report  # published, not reproduced here
    assert (results / "benchmarks" / "train" / "runs" / "split_mnist" / "cl1" / "hnet" / "seed1.tsv").exists()
    # The HNET+ENT study: trained with a validation split, rules chosen on it, stated in the report.
    study = results / "ent_study" / "split_mnist" / "cl3" / "short" / "seed1"
    assert (study / "study.json").exists() and (study / "checkpoint.pt").exists()
    section = report.split("## HNET+ENT: task-selection rules chosen on a validation split")[1]
    assert "| entropy (paper) |" in section and section.count("**selected**") == 1
    assert "Published: 69.48 ± 0.80" in section


def test_second_run_does_nothing_and_figure_deletion_reruns_only_its_rule(tiny_run):
    results, args, _ = tiny_run
    proc = snakemake(*args, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr
    (results / "figures" / "final_per_task" / "split_mnist_cl1.png").unlink()
    counts = job_counts(snakemake(*args, "-n").stdout)
    assert counts.get("figure") == 1 and "train" not in counts and "aggregate" not in counts


def test_deleting_a_table_in_any_format_rebuilds_it(tiny_run):
    results, args, _ = tiny_run
    tables = [results / "tables" / name for name in ("table1_final.csv", "split_mnist_during.tex")]
    for path in tables:
        path.unlink()
        counts = job_counts(snakemake(*args, "-n").stdout)
        assert counts.get("aggregate") == 1 and "train" not in counts, counts
    snakemake(*args, *map(str, tables))  # just the tables: what follows them is another test's business
    assert all(path.stat().st_size > 0 for path in tables)


def test_a_preset_edit_retrains_every_run_it_changes_wherever_it_lives(tiny_run, tmp_path, monkeypatch):
    """The grid, the ENT study's variants and the Fig. 4 run are requests of one rule, whose params
    are the cell fingerprint: a changed preset value retrains all of them and nothing else."""
    results, args, _ = tiny_run
    for path in (REPO / "hnet" / "presets").glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    preset = tmp_path / "split_mnist.yaml"
    text = preset.read_text()
    assert 'beta: {value: 0.01, source: "AC class_beta = 0.01"}' in text
    preset.write_text(
        text.replace('beta: {value: 0.01, source: "AC class_beta = 0.01"}', 'beta: {value: 0.02, source: "a test"}')
    )
    monkeypatch.setenv("HNET_PRESET_DIR", str(tmp_path))
    out = snakemake(*args, "-n").stdout
    trains = [
        block.split("output: ")[1].split(",")[0]
        for block in out.split("\nrule ")[1:]
        if block.startswith(("train:", "train_keeping_checkpoint:"))
    ]
    rel = sorted(str(Path(p).relative_to(results).parent) for p in trains)
    expected = [f"runs/split_mnist/cl{n}/hnet/seed{s}" for n in (1,) for s in (1, 2)]  # hnet: CL1 only
    expected += [f"ent_study/split_mnist/cl3/{v}/seed1" for v in ("paper", "short")] + [
        "embedding_grid/split_mnist/cl1/seed1"
    ]
    assert rel == sorted(expected), rel


def test_editing_plotting_code_reruns_plots_never_training(tiny_run):
    _, args, _ = tiny_run
    plot_code = REPO / "hnet" / "analysis" / "figures.py"
    stat = plot_code.stat()
    try:
        os.utime(plot_code, (stat.st_atime, time.time() + 5))
        counts = job_counts(snakemake(*args, "-n").stdout)
        assert counts.get("figure", 0) >= 6 and counts.get("regression_fits") == 1
        assert "train" not in counts and "aggregate" not in counts
    finally:
        os.utime(plot_code, (stat.st_atime, stat.st_mtime))
    training_code = REPO / "hnet" / "core" / "loop.py"
    stat = training_code.stat()
    try:
        os.utime(training_code, (stat.st_atime, time.time() + 5))
        assert "train" not in job_counts(snakemake(*args, "-n").stdout + "\nJob stats:\n")
    finally:
        os.utime(training_code, (stat.st_atime, stat.st_mtime))


def with_config(args: list[str], *items: str) -> list[str]:
    """``args`` with more ``--config`` items."""
    i = args.index("--config")
    return [*args[: i + 1], *items, *args[i + 1 :]]


def test_packed_seeds_equal_the_unpacked_runs_and_switching_packing_retrains_nothing(tiny_run, tmp_path):
    results, args, _ = tiny_run
    # The same configuration with seeds packed in pairs: nothing to retrain (same params).
    counts = job_counts(snakemake(*with_config(args, "pack_seeds=2"), "-n").stdout + "\nJob stats:\n")
    assert not any(rule.startswith("train") for rule in counts)
    # A fresh results folder: the regression cells train packed, one job per cell, and each seed's
    # metrics.json equals (float32 summation order aside) the unpacked run's.
    packed = tmp_path / "results"
    fresh = [a if not a.startswith("results=") else f"results={packed}" for a in args]
    snakemake(
        *with_config(fresh, "pack_seeds=2"),
        f"{packed}/runs/regression/cl1/hnet/seed2/metrics.json",
        f"{packed}/runs/regression/cl1/finetune/seed1/metrics.json",
    )
    for method in ("hnet", "finetune"):
        assert (packed / "logs" / "train" / "runs" / "regression" / "cl1" / method / "seeds1-2.log").exists()
        assert not (packed / "logs" / "train" / "runs" / "regression" / "cl1" / method / "seed1.log").exists()
        for seed in (1, 2):
            one = json.loads(
                (results / "runs" / "regression" / "cl1" / method / f"seed{seed}" / "metrics.json").read_text()
            )
            two = json.loads(
                (packed / "runs" / "regression" / "cl1" / method / f"seed{seed}" / "metrics.json").read_text()
            )
            assert (two["seed"], two["fingerprint"]) == (seed, one["fingerprint"])
            assert np.allclose(
                np.array(two["matrix"], float), np.array(one["matrix"], float), rtol=1e-3, equal_nan=True
            )


def test_plan_rule_probes_every_training_job_class_and_compares_with_finished_jobs(tiny_run):
    results, args, _ = tiny_run
    snakemake(*args, "plan", "--forcerun", "plan")
    plan = pd.read_csv(results / "plan" / "plan.csv")
    # regression: 2 cells; split_mnist: cl1 3 + cl3 2 cells; the ENT study: 2 variants; the Fig. 4 run
    assert len(plan) == 2 + 5 + 2 + 1 and (plan["predicted_s"] > 0).all()
    assert plan.loc[plan["rule"] == "train", "measured_median_s"].notna().all()
    text = (results / "plan" / "plan.md").read_text()
    assert "## Prediction vs measured" in text and "median absolute error per class" in text


def test_gpu_pool_comes_from_the_config_unless_given_on_the_command_line(tiny_run):
    _, args, _ = tiny_run
    out = (lambda p: p.stdout + p.stderr)(
        snakemake(*with_config(args, "gpu=True", "gpus=2", "gpu_memory_mb=1000"), "-n")
    )
    assert "GPU pool: gpu_share=200 gpu_mem_mb=2000" in out
    out = (lambda p: p.stdout + p.stderr)(
        snakemake(*with_config(args, "gpu=True"), "-n", "--resources", "gpu_share=50")
    )
    assert "GPU pool: gpu_share=50" in out


@pytest.mark.parametrize(
    "change,message",
    [
        ({"colour": "blue"}, "config error: unknown top-level key 'colour' (from "),
        ({"benchmarks": {"split_mnist": {"seeds": "two"}}}, "'two' is not of type 'integer'"),
        ({"benchmarks": {"split_mnist": {"overrides": {"iterations": 0}}}}, "'iterations': must be positive (> 0)"),
        ({"benchmarks": {"split_mnist": {"overrides": {"batchsize": 64}}}}, "unknown config key 'batchsize'"),
        ({"methods": ["hnet", "ewk"]}, "unknown method 'ewk'; valid: ["),
        ({"benchmarks": {"cifar": {"seeds": 1, "scenarios": ["cl1"]}}}, "unknown benchmark 'cifar'"),
        (
            {"benchmarks": {"split_mnist": {"scenarios": ["cl2", "cl3"], "methods": ["hnet"]}}},
            "benchmarks.split_mnist: method 'hnet' supports none of its scenarios",
        ),
        ({"benchmarks": {"regression": {"scenarios": ["cl3"]}}}, "'cl3' is not a scenario of regression"),
        (
            {
                "ent_study": {
                    "cells": ["cifar/cl3"],
                    "seeds": 1,
                    "val_fraction": 0.1,
                    "variants": [{"name": "paper", "overrides": {}}],
                }
            },
            "ent_study.cells: 'cifar/cl3' names benchmark 'cifar', which is not under 'benchmarks'",
        ),
        (
            {
                "ent_study": {
                    "cells": ["split_mnist/cl1"],
                    "seeds": 1,
                    "val_fraction": 0.1,
                    "variants": [{"name": "paper", "overrides": {}}],
                }
            },
            "does not match",
        ),
        (
            {
                "ent_study": {
                    "cells": ["split_mnist/cl3"],
                    "seeds": 1,
                    "val_fraction": 0.1,
                    "variants": [{"name": "long", "overrides": {"iterationz": 9}}],
                }
            },
            "ent_study.variants.long: ",
        ),
    ],
)
def test_config_mistakes_are_rejected_before_any_job(tmp_path, change, message):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(change))
    proc = snakemake("-n", "--configfile", str(cfg), "--config", f"results={tmp_path}/results", check=False)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


def test_a_configuration_layered_over_quick_may_restrict_the_methods(tmp_path):
    """quick.yaml's overrides (fisher_samples, tir_hidden, ...) stay valid when a layer drops the
    methods that read them; a key no method of the suite reads is still refused."""
    layer = tmp_path / "mine.yaml"
    layer.write_text(yaml.safe_dump({"methods": ["finetune", "si"]}))
    common = ["-n", "--configfile", "config/quick.yaml", str(layer), "--config", f"results={tmp_path}/results"]
    counts = job_counts(snakemake(*common).stdout)
    assert counts["train"] > 0
    layer.write_text(
        yaml.safe_dump(
            {
                "methods": ["finetune"],
                "benchmarks": {"split_mnist": {"overrides": {"fisher_samples": 300, "no_such_key": 1}}},
            }
        )
    )
    proc = snakemake(*common, check=False)
    assert proc.returncode != 0 and "unknown config key 'no_such_key'" in proc.stdout + proc.stderr


def test_failed_runs_do_not_stop_others_and_tables_show_them_through_n(synthetic_mnist, tmp_path):
    cfg = tmp_path / "failing.yaml"
    # ewc's penalty overflows to inf after the first task: both ewc runs diverge and fail.
    cfg.write_text(
        yaml.safe_dump(
            workflow_config(
                "failing",
                {
                    "regression": {
                        "seeds": 2,
                        "scenarios": ["cl1"],
                        "overrides": {"iterations": 20, "ewc_lambda": 1e300},
                    }
                },
                methods=["finetune", "ewc"],
            )
        )
    )
    args = ["--configfile", str(cfg), "--config", f"results={tmp_path}/results", "--cores", "2"]
    proc = snakemake(*args, check=False)
    assert proc.returncode != 0  # the failed jobs are reported as failed, the reason on the console...
    assert "ERROR diverged: regression/cl1/ewc/seed1: non-finite loss" in proc.stdout + proc.stderr
    runs = tmp_path / "results" / "runs" / "regression" / "cl1"
    assert (runs / "finetune" / "seed2" / "metrics.json").exists()  # ...and did not stop the others
    assert not (runs / "ewc" / "seed1" / "metrics.json").exists()
    log = (tmp_path / "results" / "logs" / "train" / "runs" / "regression" / "cl1" / "ewc" / "seed1.log").read_text()
    assert "non-finite loss" in log and "regression/cl1/ewc/seed1" in log and "task 2" in log
    snakemake(*args, "--config", f"results={tmp_path}/results", "on_missing_runs=skip")
    table = pd.read_csv(tmp_path / "results" / "tables" / "regression_final.csv", index_col=0)
    assert table.loc["ewc", "regression CL1"] == "— (n=0 of 2)"
    assert table.loc["finetune", "regression CL1"].endswith("(n=2)")


def readme_baseline() -> tuple[str, str]:
    """The documented example baseline: (module path, its code), as docs/extending.md says: the
    example file copied into baselines/."""
    text = (REPO / "docs" / "extending.md").read_text()
    example, path = re.search(r"Copy `(examples/\w+\.py)`[^`]*to `(baselines/\w+\.py)`", text).groups()
    return path, (REPO / example).read_text()


@pytest.fixture(scope="module")
def repo_with_readme_baseline(tmp_path_factory):
    """A copy of this repository with the README's example baseline added exactly as it says."""
    root = tmp_path_factory.mktemp("repo")
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for f in files:
        src, dst = REPO / f, root / f
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        elif src.is_file():
            dst.write_bytes(src.read_bytes())
    path, code = readme_baseline()
    (root / path).write_text(code)
    name = re.search(r'name = "(\w+)"', code).group(1)
    cfg = root / "config" / "config.yaml"
    cfg.write_text(re.sub(r"^methods: \[(.*)\]$", rf"methods: [\1, {name}]", cfg.read_text(), flags=re.M))
    assert name in yaml.safe_load(cfg.read_text())["methods"]
    return root, name


def snakemake_in(root, *args):
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-m", "snakemake", *args], cwd=root, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def layered(base: dict, over: dict) -> dict:
    """Snakemake's merge of a --configfile over the default config: dicts key by key, the rest replaced."""
    out = dict(base)
    for k, v in over.items():
        out[k] = layered(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def test_readme_baseline_is_scheduled_in_paper_and_quick_configurations(repo_with_readme_baseline, tmp_path):
    root, name = repo_with_readme_baseline
    paper = yaml.safe_load((root / "config" / "config.yaml").read_text())
    for configfile in (None, "config/quick.yaml"):
        config = paper if configfile is None else layered(paper, yaml.safe_load((root / configfile).read_text()))
        extra = [] if configfile is None else ["--configfile", configfile]
        out = snakemake_in(root, "-n", *extra, "--config", f"results={tmp_path}/results").stdout
        jobs = re.findall(rf"wildcards: run=runs/(\w+)/(\w+)/{name}/seed(\d+)", out)
        # the example supports every scenario of every (flat-input) benchmark
        expected = sum(
            len(b["scenarios"]) * b["seeds"]
            for b in config["benchmarks"].values()
            if b.get("enabled", True) and name in b.get("methods", [name])
        )
        assert len(jobs) == expected > 0, (configfile, len(jobs), expected)


def test_readme_baseline_reaches_the_tables(repo_with_readme_baseline, synthetic_mnist, tmp_path):
    root, name = repo_with_readme_baseline
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(
        yaml.safe_dump(
            workflow_config(
                "readme-baseline",
                {
                    "split_mnist": {
                        "seeds": 1,
                        "scenarios": ["cl1"],
                        "overrides": {"iterations": 10, "target_hidden": [20]},
                    }
                },
                methods=["finetune", name],
            )
        )
    )
    snakemake_in(
        root,
        "--configfile",
        str(cfg),
        "--config",
        f"results={tmp_path}/results",
        f"data_dir={synthetic_mnist}",
        "--cores",
        "2",
    )
    table = pd.read_csv(tmp_path / "results" / "tables" / "split_mnist_final.csv", index_col=0)
    assert name in table.index and "(n=1)" in table.loc[name, "split_mnist CL1"]
    listed = subprocess.run(
        [sys.executable, "-m", "hnet", "list"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    ).stdout
    assert f'"{name}"' in listed


def test_a_package_of_ones_own_adds_methods_through_an_entry_point(tmp_path):
    site = tmp_path / "site"
    (site / "my_baselines").mkdir(parents=True)
    (site / "my_baselines" / "__init__.py").write_text("")
    (site / "my_baselines" / "still.py").write_text(
        'from hnet.core import TargetNetMethod\n\n\nclass Still(TargetNetMethod):\n    name = "still"\n\n'
        "    def train_step(self, x, y, task_ids, seen):\n"
        "        return self.task_loss(x, y, task_ids, seen).detach()\n"
    )
    dist = site / "my_baselines-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-baselines\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[hnet_repro.methods]\nmine = my_baselines\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    listed = subprocess.run([sys.executable, "-m", "hnet", "list"], capture_output=True, text=True, env=env)
    assert '"still"' in listed.stdout and '"my_baselines.still"' in listed.stdout, listed.stderr


def test_a_dataset_in_a_folder_the_user_names_is_read_in_place_and_checked_first(tmp_path):
    from tests.conftest import make_synthetic_mnist
    from tests.test_hardening import flat_gzipped_copy, listing

    source = make_synthetic_mnist(tmp_path / "source", folder="FashionMNIST", seed=3)
    flat = flat_gzipped_copy(source, tmp_path / "fashion-mnist", "FashionMNIST")
    before = listing(flat)
    cfg = tmp_path / "named.yaml"
    cfg.write_text(
        yaml.safe_dump(
            workflow_config(
                "named-data",
                {
                    "split_mnist": {
                        "seeds": 1,
                        "scenarios": ["cl1"],
                        "datasets": ["fashion_mnist"],
                        "overrides": {"iterations": 5, "target_hidden": [8]},
                    }
                },
                methods=["finetune"],
                dataset_dirs={"fashion_mnist": str(flat)},
            )
        )
    )
    args = [
        "--configfile",
        str(cfg),
        "--config",
        f"results={tmp_path}/results",
        f"data_dir={tmp_path}/no-data",
        "--cores",
        "2",
    ]
    assert not any(rule.startswith("download") for rule in job_counts(snakemake(*args, "-n").stdout))
    snakemake(*args)
    run = json.loads(
        (
            tmp_path / "results" / "runs" / "split_mnist-fashion_mnist" / "cl1" / "finetune" / "seed1" / "metrics.json"
        ).read_text()
    )
    assert run["dataset"] == "fashion_mnist" and run["provenance"]["data"]["folders"] == {
        "fashion_mnist": str(flat.resolve())
    }
    assert listing(flat) == before and not (tmp_path / "no-data").exists()
    (flat / "t10k-labels-idx1-ubyte.gz").unlink()
    proc = snakemake(*args, "-n", check=False)
    assert proc.returncode != 0
    assert f"dataset_dirs.fashion_mnist = {flat} lacks t10k-labels-idx1-ubyte" in proc.stdout + proc.stderr
