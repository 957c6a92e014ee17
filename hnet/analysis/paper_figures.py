"""Figures of the paper that span benchmarks or need more than one panel kind: Fig. 5 (split CIFAR).

Drawn from the aggregated tables only, like ``hnet.analysis.figures``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hnet.analysis.aggregate import sem  # noqa: E402
from hnet.analysis.figures import _methods, _save  # noqa: E402

SPLIT_CIFAR = {"split_cifar": "ResNet-32", "split_cifar_zenke": "ZenkeNet"}


def split_cifar_table(runs: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Per network, method and task: final and during accuracy, mean ± SEM over seeds, and n."""
    d = runs[runs["benchmark"].isin(SPLIT_CIFAR)]
    rows = []
    for (bench, method, task), g in d.groupby(["benchmark", "method", "task"]):
        rows.append({"network": SPLIT_CIFAR[bench], "benchmark": bench, "method": method, "task": task,
                     "final_mean": g["final"].mean(), "final_sem": sem(g["final"]),
                     "during_mean": g["during"].mean(), "during_sem": sem(g["during"]), "n": g["seed"].nunique()})
    out = pd.DataFrame(rows, columns=["network", "benchmark", "method", "task", "final_mean", "final_sem",
                                      "during_mean", "during_sem", "n"])
    rank = {m: i for i, m in enumerate(_methods(out, order))}
    return out.sort_values(["benchmark", "method", "task"], key=lambda s: s.map(rank) if s.name == "method" else s)


def split_cifar_markdown(table: pd.DataFrame) -> str:
    def cell(m, s):
        return "—" if pd.isna(m) else f"{m:.2f}" + ("" if pd.isna(s) else f" ± {s:.2f}")

    lines = []
    for network, d in table.groupby("network", sort=False):
        tasks = sorted(d["task"].unique())
        lines += [f"**{network}: test accuracy (%) per task after all tasks (final) and right after learning "
                  "it (during), mean ± SEM over seeds**", "",
                  "| method | n | " + " | ".join(f"task {t} final / during" for t in tasks) + " |",
                  "|---|---|" + "---|" * len(tasks)]
        for method, g in d.groupby("method", sort=False):
            g = g.set_index("task")
            lines.append(f"| {method} | {int(g['n'].max())} | " + " | ".join(
                f"{cell(g.loc[t, 'final_mean'], g.loc[t, 'final_sem'])} / "
                f"{cell(g.loc[t, 'during_mean'], g.loc[t, 'during_sem'])}" if t in g.index else "—"
                for t in tasks) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def split_cifar_figure(table: pd.DataFrame, png, pdf, order: list[str]) -> None:
    """Fig. 5: per-task accuracy after all tasks (bars, ± SEM) and right after learning each task
    (black markers), one panel per network, methods side by side."""
    networks = list(dict.fromkeys(table["network"])) or ["(no split CIFAR runs)"]
    fig, axes = plt.subplots(1, len(networks), figsize=(6.5 * len(networks), 4), squeeze=False,
                             layout="constrained")
    for ax, network in zip(axes[0], networks):
        d = table[table["network"] == network]
        methods = _methods(d, order)
        width = 0.8 / max(len(methods), 1)
        for k, method in enumerate(methods):
            g = d[d["method"] == method].sort_values("task")
            pos = g["task"].to_numpy() + (k - (len(methods) - 1) / 2) * width
            ax.bar(pos, g["final_mean"], width, yerr=g["final_sem"].fillna(0), capsize=1.5, label=method)
            ax.errorbar(pos, g["during_mean"], yerr=g["during_sem"].fillna(0), fmt="k.", ms=4, lw=0.8,
                        label="during (right after the task)" if k == 0 else None)
        tasks = sorted(d["task"].unique())
        ax.set_xticks(tasks, ["CIFAR-10" if t == 1 else f"C100 #{t - 1}" for t in tasks], fontsize=8)
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(0, 100)
        n = int(d["n"].max()) if len(d) else 0
        ax.set_title(f"{network}: after learning all tasks (n={n} seed{'s' if n != 1 else ''})", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5), fontsize=8)
    fig.suptitle("Split CIFAR-10/100 (the paper's Fig. 5): bars final accuracy ± SEM, dots during")
    _save(fig, png, pdf)


def available(runs: pd.DataFrame) -> bool:
    return bool(np.isin(list(SPLIT_CIFAR), runs["benchmark"].unique()).any())
