"""Sweeps: one quantity varied over points (a parameter's values, or named settings), each point
an ordinary run per seed. A tidy table per sweep and a line plot with the spread over seeds.

The x value of a point is a number the runs record: a config key (``beta``, ``ewc_lambda``) or a
``method_info`` entry (``compression_ratio``: trainable hypernetwork parameters, embeddings included,
over target weights).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from hnet.analysis.aggregate import load_run, sem  # noqa: E402
from hnet.analysis.figures import _save  # noqa: E402

COLUMNS = [
    "sweep",
    "point",
    "seed",
    "x",
    "final_mean",
    "during_mean",
    "compression_ratio",
    "hnet_params",
    "target_params",
    "wall_time_s",
    "train_time_s",
]


def x_value(run: dict, x: str) -> float:
    if x in run.get("method_info", {}):
        return float(run["method_info"][x])
    if x in run.get("config", {}):
        return float(run["config"][x])
    raise KeyError(
        f"{run.get('benchmark')}/{run.get('method')}: the sweep's x {x!r} is neither a config key nor "
        f"a method_info entry (method_info has {sorted(run.get('method_info', {}))})"
    )


def sweep_table(sweep: str, runs: dict[str, tuple[str, int]], x: str) -> pd.DataFrame:
    """``runs``: metrics.json path -> (point, seed). One row per run."""
    rows = []
    for path, (point, seed) in runs.items():
        m = load_run(path)
        info = m.get("method_info", {})
        rows.append(
            {
                "sweep": sweep,
                "point": point,
                "seed": seed,
                "x": x_value(m, x),
                "final_mean": m["final_mean"],
                "during_mean": m["during_mean"],
                "compression_ratio": info.get("compression_ratio"),
                "hnet_params": info.get("hnet_params"),
                "target_params": info.get("target_params"),
                "wall_time_s": m.get("wall_time_s"),
                "train_time_s": m.get("train_time_s"),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS).sort_values(["x", "point", "seed"]).reset_index(drop=True)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per point: x, mean ± SEM of final and during, n."""
    g = table.groupby(["point", "x"], sort=False)
    out = g.agg(
        final=("final_mean", "mean"),
        final_sem=("final_mean", sem),
        during=("during_mean", "mean"),
        during_sem=("during_mean", sem),
        n=("seed", "nunique"),
        wall_time_s=("wall_time_s", "mean"),
    )
    return out.reset_index().sort_values("x")


def summary_markdown(table: pd.DataFrame, title: str, x: str) -> str:
    s = summary(table)
    lines = [
        f"**{title}** (mean ± SEM over seeds)",
        "",
        f"| point | {x} | final | during | n | wall time (s) |",
        "|---|---|---|---|---|---|",
    ]

    def cell(m, e):
        return "—" if pd.isna(m) else f"{m:.2f}" + ("" if pd.isna(e) else f" ± {e:.2f}")

    for r in s.itertuples():
        lines.append(
            f"| {r.point} | {r.x:.4g} | {cell(r.final, r.final_sem)} | {cell(r.during, r.during_sem)} | "
            f"{r.n} | {r.wall_time_s:.0f} |"
        )
    return "\n".join(lines) + "\n"


def observation(table: pd.DataFrame, x: str) -> str:
    """What the measured curve shows, in one sentence: where the final accuracy peaks and which points
    stay within one point (and within their combined SEM) of the peak."""
    s = summary(table)
    if s.empty:
        return "No runs."
    best = s.loc[s["final"].idxmax()]
    close = s[(best["final"] - s["final"]) <= 1.0]
    far = s[(best["final"] - s["final"]) > 1.0]
    text = (
        f"Measured: final accuracy peaks at {x} = {best['x']:.4g} ({best['final']:.2f}); within 1 point of the "
        f"peak at {x} = {', '.join(f'{v:.4g}' for v in close['x'])}"
    )
    if len(far):
        text += (
            f"; more than 1 point below at {', '.join(f'{v:.4g} ({f:.2f})' for v, f in zip(far['x'], far['final']))}"
        )
    return text + "."


def sweep_figure(
    table: pd.DataFrame, png: str | Path, pdf: str | Path, title: str, x: str, log_x: bool, metric: str = "accuracy (%)"
) -> None:
    s = summary(table)
    fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    for col, colour, label in (
        ("final", "tab:blue", "final (after all tasks)"),
        ("during", "tab:gray", "during (right after each task)"),
    ):
        mean, err = s[col], s[f"{col}_sem"].fillna(0)
        ax.plot(s["x"], mean, "o-", color=colour, label=label, ms=4)
        ax.fill_between(s["x"], mean - err, mean + err, color=colour, alpha=0.25, lw=0)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(f"task-averaged {metric}")
    n = int(s["n"].max()) if len(s) else 0
    ax.set_title(f"{title}\n(mean, band ± SEM over {n} seed{'s' if n != 1 else ''})", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, png, pdf)
