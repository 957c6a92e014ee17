"""Run folders -> tidy tables -> mean ± SEM tables laid out like the paper's Table 1.

Every run file is checked against ``metrics.schema.json`` and every scalar is derived from its
matrix here (``hnet.core.metrics``), so a run written by any program is aggregated alike.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from hnet.core import metrics

RUN_COLUMNS = [
    "benchmark",
    "scenario",
    "method",
    "seed",
    "metric",
    "task",
    "final",
    "during",
    "final_mean",
    "during_mean",
    "bwt",
    "forgetting",
    "wall_time_s",
    "iterations_per_s",
    "device",
    "dataset",
    "commit",
    "dirty",
    "data_sha256",
]
SCHEMA_PATH = Path(__file__).with_name("metrics.schema.json")


class RunFileError(ValueError):
    """A run's metrics.json does not follow the documented format."""


@cache
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def load_run(path: str | Path) -> dict:
    """A metrics.json checked against ``metrics.schema.json``, with every scalar derived from its matrix."""
    try:
        m = json.loads(Path(path).read_text())
    except json.JSONDecodeError as err:
        raise RunFileError(f"{path}: not valid JSON ({err})") from None
    errors = sorted(_validator().iter_errors(m), key=lambda e: list(e.path))
    if errors:
        where = "/".join(map(str, errors[0].path)) or "(top level)"
        raise RunFileError(f"{path}: does not follow {SCHEMA_PATH.name} at {where}: {errors[0].message}")
    if len({len(row) for row in m["matrix"]}) != 1:
        raise RunFileError(f"{path}: matrix rows differ in length")
    matrix = [[math.nan if v is None else v for v in row] for row in m["matrix"]]
    prov = m.get("provenance", {})
    files = prov.get("data", {}).get("files", {})
    data_sha = (
        hashlib.sha256("".join(f"{k}:{v}\n" for k, v in sorted(files.items())).encode()).hexdigest()[:16]
        if files
        else None
    )
    return {
        **m,
        "matrix": matrix,
        **metrics.summarize(matrix, m["metric"]),
        # runs are filed under their label: the benchmark, and the dataset when not the default one
        "benchmark": m.get("label") or m["benchmark"],
        "dataset": m.get("dataset"),
        "commit": prov.get("code", {}).get("commit"),
        "dirty": prov.get("code", {}).get("dirty"),
        "data_sha256": data_sha,
    }


def screen_runs(paths: Iterable[str | Path], expected: dict[str, str]) -> tuple[list[str], list[dict]]:
    """(runs to aggregate, runs excluded and why): a run whose recorded fingerprint differs from the
    one its cell has in this configuration was produced under another configuration."""
    kept, excluded = [], []
    for path in map(str, paths):
        want = expected.get(path)
        if want is None:  # a run written by another program (an external baseline): nothing to compare
            kept.append(path)
            continue
        got = json.loads(Path(path).read_text()).get("fingerprint")
        if got == want:
            kept.append(path)
        else:
            excluded.append(
                {
                    "run": path,
                    "recorded": got,
                    "expected": want,
                    "reason": "no fingerprint recorded" if got is None else "configuration differs",
                }
            )
    return kept, excluded


def read_runs(paths: Iterable[str | Path]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(runs, matrices, predictions)``: one row per run and task; per matrix entry; per regression point."""
    runs, cells, preds = [], [], []
    for path in paths:
        m = load_run(path)
        key = {k: m[k] for k in ("benchmark", "scenario", "method", "seed")}
        during = m["during"] or [math.nan] * len(m["final"])
        for i, (fin, dur) in enumerate(zip(m["final"], during)):
            runs.append(
                {
                    **key,
                    "metric": m["metric"],
                    "task": i + 1,
                    "final": fin,
                    "during": dur,
                    **{k: m.get(k) for k in RUN_COLUMNS[8:]},
                }
            )
        for t, row in enumerate(m["matrix"]):
            for i, v in enumerate(row):
                if not math.isnan(v):
                    cells.append({**key, "trained": t + 1, "task": i + 1, "value": v, "rows": len(m["matrix"])})
        for p in m.get("predictions", []):
            for x, yt, yp in zip(p["x"], p["y_true"], p["y_pred"]):
                preds.append({**key, "task": p["task"], "x": x, "y_true": yt, "y_pred": yp})
    runs_df = pd.DataFrame(runs, columns=RUN_COLUMNS)
    for col in ("final", "during", "final_mean", "during_mean", "bwt", "forgetting"):
        runs_df[col] = pd.to_numeric(runs_df[col], errors="coerce")
    return (
        runs_df,
        pd.DataFrame(cells, columns=["benchmark", "scenario", "method", "seed", "trained", "task", "value", "rows"]),
        pd.DataFrame(preds, columns=["benchmark", "scenario", "method", "seed", "task", "x", "y_true", "y_pred"]),
    )


def sem(values: pd.Series) -> float:
    v = values.dropna()
    return float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else math.nan


def per_run(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run with its scalar summaries."""
    keys = ["benchmark", "scenario", "method", "seed"]
    return runs.groupby(keys, as_index=False).agg(
        metric=("metric", "first"),
        final_mean=("final_mean", "first"),
        during_mean=("during_mean", "first"),
        bwt=("bwt", "first"),
        forgetting=("forgetting", "first"),
        wall_time_s=("wall_time_s", "first"),
    )


def summary(runs: pd.DataFrame, quantity: str = "final_mean") -> pd.DataFrame:
    """Mean, SEM and n over seeds per benchmark x scenario x method."""
    g = per_run(runs).groupby(["benchmark", "scenario", "method"])
    out = g[quantity].agg(mean="mean", sem=sem, n="count").reset_index()
    out["metric"] = g["metric"].first().values
    return out


def _cell(mean, s, n, metric, expected=None) -> str:
    count = f"n={n}" if expected in (None, n) else f"n={n} of {expected}"
    if n == 0 or pd.isna(mean):
        return "—" if expected is None else f"— ({count})"
    fmt = "{:.4f}" if metric == "mse" else "{:.2f}"
    text = fmt.format(mean)
    if not pd.isna(s):
        text += " ± " + fmt.format(s)
    return f"{text} ({count})"


def table(
    runs: pd.DataFrame,
    quantity: str,
    method_order: list[str] | None = None,
    expected: dict[tuple[str, str, str], int] | None = None,
    groups: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Paper Table 1 layout: rows methods, columns benchmark/scenario, cells 'mean ± SEM (n=k)'.
    ``groups`` (method -> group, e.g. 'Avalanche'): where the rows span several groups, a first
    column naming each row's group, rows of one group together in the order of their first method.

    ``expected`` maps (benchmark, scenario, method) to the configured number of seeds; cells with
    fewer finished runs say so ('n=1 of 2'), and configured cells without any run appear as '— (n=0 of 2)'.
    """
    s = summary(runs, quantity)
    keys = ["benchmark", "scenario", "method"]
    if expected:
        grid = pd.DataFrame([(*k, v) for k, v in expected.items()], columns=[*keys, "expected"])
        if len(s):
            grid = grid[grid["benchmark"].isin(s["benchmark"].unique())]
        s = grid.merge(s, on=keys, how="left").assign(n=lambda d: d["n"].fillna(0).astype(int))
    else:
        s["expected"] = None
    s["column"] = s["benchmark"] + " " + s["scenario"].str.upper()
    s["cell"] = [_cell(m, e, n, k, x) for m, e, n, k, x in zip(s["mean"], s["sem"], s["n"], s["metric"], s["expected"])]
    wide = s.pivot(index="method", columns="column", values="cell").fillna("—")
    order = [m for m in (method_order or []) if m in wide.index] + sorted(set(wide.index) - set(method_order or []))
    if len({(groups or {}).get(m, "") for m in order}) < 2:  # one group: no column to tell them apart
        return wide.loc[order]
    first = {}
    for m in order:
        first.setdefault(groups.get(m, ""), len(first))
    order = sorted(order, key=lambda m: first[groups.get(m, "")])  # stable: methods keep their order
    out = wide.loc[order]
    out.insert(0, "group", [groups.get(m, "") for m in order])
    return out


def write_table(df: pd.DataFrame, stem: str | Path, caption: str) -> None:
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(stem.with_suffix(".csv"))
    md = [f"**{caption}**", "", "| method | " + " | ".join(df.columns) + " |", "|---|" + "---|" * len(df.columns)]
    md += [f"| {idx} | " + " | ".join(map(str, row)) + " |" for idx, row in df.iterrows()]
    stem.with_suffix(".md").write_text("\n".join(md) + "\n")
    tex = df.to_latex(caption=caption, escape=True).replace("±", r"$\pm$")
    stem.with_suffix(".tex").write_text(tex)
