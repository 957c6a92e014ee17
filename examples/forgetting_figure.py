"""Forgetting per task, the documentation's worked example of a figure (docs/extending.md).

A figure kind is one function ``(tables, benchmark, scenario, png, pdf, order, metric)`` that draws
one panel (a benchmark and scenario) from the aggregated tables (``tables.runs``: one row per run
and task with ``method``, ``seed``, ``task``, ``final``, ``during``), plus one entry in
``hnet.analysis.figures.FIGURES`` with its caption; the workflow then draws it for every panel into
``results/figures/<kind>/<benchmark>_<scenario>.{png,pdf}`` and the report shows it with the
caption. To use it: paste the function into ``hnet/analysis/figures.py`` and add ``ENTRY`` to
``FIGURES``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from hnet.analysis.aggregate import sem
from hnet.analysis.figures import LABELS, PanelFigure, _methods, _panel, _save


def forgetting_per_task(tables, benchmark: str, scenario: str, png, pdf, order: list[str], metric: str) -> None:
    """Per method: how much each task's score fell from right after learning it to the end
    (during - final; for an MSE, final - during), mean ± SEM over seeds."""
    d = _panel(tables.runs, benchmark, scenario)
    fig, ax = plt.subplots(figsize=(4.8, 3.2), layout="constrained")
    for method in _methods(d, order):
        rows = d[d["method"] == method]
        drop = (rows["during"] - rows["final"]) * (-1 if metric == "mse" else 1)
        per_task = drop.groupby(rows["task"])
        if per_task.mean().isna().all():
            continue  # joint training has no 'during' scores
        ax.errorbar(
            per_task.mean().index,
            per_task.mean().values,
            yerr=per_task.apply(sem).fillna(0).values,
            marker="o",
            capsize=2,
            label=method,
        )
    ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("task")
    ax.set_ylabel(f"forgetting ({LABELS[metric]})")
    ax.legend(fontsize=7)
    fig.suptitle(f"{benchmark} {scenario.upper()}: forgetting per task, mean ± SEM")
    _save(fig, png, pdf)


# The entry to add to hnet.analysis.figures.FIGURES:
ENTRY = {
    "forgetting_per_task": PanelFigure(
        forgetting_per_task,
        "Forgetting per task: score right after learning it minus score after all tasks, mean ± SEM over seeds.",
    )
}
