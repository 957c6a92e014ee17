"""The paper's figures, drawn from the aggregated tables only (never from training)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from hnet.analysis.aggregate import sem  # noqa: E402

LABELS = {"accuracy": "accuracy (%)", "mse": "MSE"}


def _save(fig, png: str | Path, pdf: str | Path) -> None:
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=150, bbox_inches="tight")
    fig.savefig(pdf, bbox_inches="tight")
    plt.close(fig)


def _grid(n: int, width: float = 3.6, height: float = 3.0):
    cols = min(n, 4)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False, layout="constrained")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _panel(df: pd.DataFrame, benchmark: str, scenario: str) -> pd.DataFrame:
    return df[(df["benchmark"] == benchmark) & (df["scenario"] == scenario)]


def _methods(df: pd.DataFrame, order: list[str]) -> list[str]:
    present = list(dict.fromkeys(df["method"]))
    return [m for m in order if m in present] + sorted(set(present) - set(order))


def regression_fits(preds: pd.DataFrame, png, pdf, order: list[str]) -> None:
    """Fig. 2: ground truth and each method's predictions on all tasks after learning all three."""
    methods = _methods(preds, order)
    fig, axes = _grid(max(len(methods), 1))
    for ax, method in zip(axes, methods):
        d = preds[preds["method"] == method]
        for task, dt in d.groupby("task"):
            g = dt.groupby("x")
            x = np.array(list(g.groups))
            truth = g["y_true"].first().values
            mean, lo, hi = g["y_pred"].mean().values, g["y_pred"].min().values, g["y_pred"].max().values
            ax.plot(x, truth, color="black", lw=1, ls="--", label="ground truth" if task == 1 else None)
            (line,) = ax.plot(x, mean, lw=1.8, label=f"task {task}")
            ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.25, lw=0)
        n = d["seed"].nunique()
        ax.set_title(f"{method} (n={n} seed{'s' if n != 1 else ''})")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_ylim(-3, 3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("Toy regression after learning all tasks (band: min-max over seeds)")
    _save(fig, png, pdf)


@dataclass(frozen=True)
class Tables:
    """The aggregated tables a figure may draw from (``hnet.analysis.aggregate.read_runs``)."""

    runs: pd.DataFrame
    matrices: pd.DataFrame


def accuracy_heatmaps(tables: Tables, benchmark: str, scenario: str, png, pdf, order: list[str], metric: str) -> None:
    """Mean accuracy matrix A[t][i] per method (rows: after training task t; columns: task i)."""
    d = _panel(tables.matrices, benchmark, scenario)
    methods = _methods(d, order)
    fig, axes = _grid(max(len(methods), 1), 3.0, 2.8)
    cmap = "viridis" if metric == "accuracy" else "viridis_r"
    vmin, vmax = (0, 100) if metric == "accuracy" else (d["value"].min(), d["value"].max())
    im = None
    for ax, method in zip(axes, methods):
        dm = d[d["method"] == method]
        mat = dm.pivot_table(index="trained", columns="task", values="value", aggfunc="mean")
        im = ax.imshow(mat.values, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
        t = mat.shape[1]
        if t <= 10:
            for (r, c), v in np.ndenumerate(mat.values):
                if np.isfinite(v):
                    ax.text(
                        c,
                        r,
                        f"{v:.0f}" if metric == "accuracy" else f"{v:.2g}",
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if (metric == "accuracy" and v < 60) else "black",
                    )
        ax.set_xticks(range(t), [str(c) for c in mat.columns], fontsize=7)
        ax.set_yticks(
            range(mat.shape[0]), [("all" if dm["rows"].iloc[0] == 1 else str(r)) for r in mat.index], fontsize=7
        )
        ax.set_xlabel("evaluated task")
        ax.set_ylabel("after training task")
        ax.set_title(f"{method} (n={dm['seed'].nunique()})", fontsize=9)
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.8, label=LABELS[metric])
    fig.suptitle(f"{benchmark} {scenario.upper()}: mean accuracy matrix")
    _save(fig, png, pdf)


def final_curves(tables: Tables, benchmark: str, scenario: str, png, pdf, order: list[str], metric: str) -> None:
    """Fig. 3a form: score on each task after learning all tasks, mean ± SEM over seeds."""
    d = _panel(tables.runs, benchmark, scenario)
    fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
    for method in _methods(d, order):
        g = d[d["method"] == method].groupby("task")["final"]
        mean, err = g.mean(), g.apply(sem).fillna(0)
        ax.errorbar(mean.index, mean.values, yerr=err.values, marker="o", ms=3, capsize=2, label=method)
    ax.set_xlabel("task")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(f"final {LABELS[metric]}")
    ax.set_title(f"{benchmark} {scenario.upper()}: per-task score after learning all tasks (mean ± SEM)")
    ax.legend(fontsize=8, ncol=2)
    ax.grid(alpha=0.3)
    _save(fig, png, pdf)


def final_vs_during(tables: Tables, benchmark: str, scenario: str, png, pdf, order: list[str], metric: str) -> None:
    """Per task: score right after learning it (during) beside the score after all tasks (final)."""
    d = _panel(tables.runs, benchmark, scenario)
    methods = _methods(d, order)
    fig, axes = _grid(max(len(methods), 1), 3.6, 2.8)
    for ax, method in zip(axes, methods):
        g = d[d["method"] == method].groupby("task")
        tasks = np.array(list(g.groups))
        for offset, col, colour in ((-0.2, "during", "tab:gray"), (0.2, "final", "tab:blue")):
            mean = g[col].mean().values
            if np.all(np.isnan(mean)):
                continue  # joint training has no 'during' scores
            ax.bar(
                tasks + offset,
                mean,
                width=0.4,
                yerr=g[col].apply(sem).fillna(0).values,
                color=colour,
                label=col,
                capsize=1.5,
            )
        ax.set_title(method, fontsize=9)
        ax.set_xlabel("task")
        ax.set_ylabel(LABELS[metric])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if metric == "accuracy":
            ax.set_ylim(0, 100)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper right", fontsize=8)
    fig.suptitle(f"{benchmark} {scenario.upper()}: during vs final, mean ± SEM")
    _save(fig, png, pdf)


@dataclass(frozen=True)
class PanelFigure:
    """A figure drawn once per benchmark x scenario panel; ``caption`` goes into the HTML report."""

    draw: Callable[..., None]
    caption: str


# The one table of per-panel figures: the workflow's rule, its wildcard constraint, its targets and
# the report's captions all read it. A new figure kind is one function and one entry here.
FIGURES: dict[str, PanelFigure] = {
    "accuracy_matrix": PanelFigure(
        accuracy_heatmaps, "Mean score matrix A[t][i] per method (row: after training task t; column: task i)."
    ),
    "final_per_task": PanelFigure(
        final_curves,
        "Score on every task after learning all tasks, mean ± SEM over seeds (the form of the paper's Fig. 3a).",
    ),
    "final_vs_during": PanelFigure(
        final_vs_during,
        "Each task's score right after learning it (during) beside its "
        "score after all tasks (final), mean ± SEM over seeds.",
    ),
}
