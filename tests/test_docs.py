"""Docs that cannot rot: the generated reference pages are current, and the extension recipes of
docs/extending.md work from the files under examples/ alone (a newcomer's baseline, figure and
layered configuration)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO
from tests.helpers import run_argv


def test_the_generated_reference_pages_are_current():
    from hnet.tools.docs_reference import main

    assert main(["--check"]) == 0, "run python -m hnet.tools.docs_reference and commit docs/reference/"


def test_the_docs_name_only_example_files_that_exist():
    text = (REPO / "docs" / "extending.md").read_text()
    for name in ("examples/mas.py", "examples/forgetting_figure.py", "examples/layered.yaml"):
        assert name in text and (REPO / name).exists()


@pytest.fixture
def newcomer_tree(tmp_path):
    """What docs/extending.md tells a newcomer to do: examples/mas.py copied to baselines/ (here into
    a copy of the baselines package that shadows the repository's: the commands run in that folder)."""
    shutil.copytree(REPO / "baselines", tmp_path / "baselines", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "examples" / "mas.py", tmp_path / "baselines" / "mas.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    return tmp_path, env


def test_a_newcomer_adds_a_baseline_a_figure_and_a_layered_config_from_the_docs(newcomer_tree, synthetic_mnist):
    tmp, env = newcomer_tree
    listed = subprocess.run(
        [sys.executable, "-m", "hnet", "list"], env=env, cwd=tmp, capture_output=True, text=True, check=True
    )
    assert "mas" in listed.stdout
    # The baseline trains and records its matrix, with the same CLI as every method.
    runs = {}
    for method in ("mas", "finetune"):
        out = tmp / "runs" / method
        sets = [
            "n_tasks=2",
            "iterations=20",
            "target_hidden=[16]",
            "mas_samples=32" if method == "mas" else "batch_size=32",
        ]
        proc = subprocess.run(
            [sys.executable, "-m", "hnet", *run_argv("split_mnist", "cl1", method, 1, out, synthetic_mnist, sets)],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs[method] = json.loads((out / "metrics.json").read_text())
    assert runs["mas"]["method"] == "mas" and runs["mas"]["config"]["mas_lambda"] == 1.0
    assert len(runs["mas"]["matrix"]) == 2
    # The layered configuration selects exactly its cells (the DAG's table of run requests).
    script = textwrap.dedent(f"""
        import json, yaml
        from hnet.run.grid import build_requests
        config = {{}}
        def merge(a, b):
            for k, v in b.items():
                a[k] = merge(a.get(k, {{}}), v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
            return a
        for f in ("config/config.yaml", "config/quick.yaml", "examples/layered.yaml"):
            merge(config, yaml.safe_load(open(r"{REPO}/" + f)))
        table = build_requests(config)
        print(json.dumps(sorted({{(r.benchmark, r.scenario, r.method, r.seed) for r in table.requests}})))
    """)
    cells = json.loads(
        subprocess.run(
            [sys.executable, "-c", script], env=env, cwd=tmp, check=True, capture_output=True, text=True
        ).stdout
    )
    expected = sorted([["split_mnist", s, m, k] for s in ("cl1", "cl3") for m in ("finetune", "mas") for k in (1, 2)])
    assert cells == expected
    # The figure: its function and FIGURES entry draw a panel from the aggregated tables.
    import pandas as pd

    from examples.forgetting_figure import ENTRY
    from hnet.analysis import figures
    from hnet.analysis.aggregate import read_runs

    runs_table, matrices, _ = read_runs([tmp / "runs" / m / "metrics.json" for m in ("mas", "finetune")])
    tables = figures.Tables(pd.DataFrame(runs_table), pd.DataFrame(matrices))
    ((name, kind),) = ENTRY.items()
    png, pdf = tmp / f"{name}.png", tmp / f"{name}.pdf"
    kind.draw(tables, "split_mnist", "cl1", png, pdf, ["finetune", "mas"], "accuracy")
    assert png.stat().st_size > 1000 and pdf.stat().st_size > 1000 and kind.caption
