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
        rows.append(
            {
                "network": SPLIT_CIFAR[bench],
                "benchmark": bench,
                "method": method,
                "task": task,
                "final_mean": g["final"].mean(),
                "final_sem": sem(g["final"]),
                "during_mean": g["during"].mean(),
                "during_sem": sem(g["during"]),
                "n": g["seed"].nunique(),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=["network", "benchmark", "method", "task", "final_mean", "final_sem", "during_mean", "during_sem", "n"],
    )
    rank = {m: i for i, m in enumerate(_methods(out, order))}
    return out.sort_values(["benchmark", "method", "task"], key=lambda s: s.map(rank) if s.name == "method" else s)


def split_cifar_markdown(table: pd.DataFrame) -> str:
    def cell(m, s):
        return "—" if pd.isna(m) else f"{m:.2f}" + ("" if pd.isna(s) else f" ± {s:.2f}")

    lines = []
    for network, d in table.groupby("network", sort=False):
        tasks = sorted(d["task"].unique())
        lines += [
            f"**{network}: test accuracy (%) per task after all tasks (final) and right after learning "
            "it (during), mean ± SEM over seeds**",
            "",
            "| method | n | " + " | ".join(f"task {t} final / during" for t in tasks) + " |",
            "|---|---|" + "---|" * len(tasks),
        ]
        for method, g in d.groupby("method", sort=False):
            g = g.set_index("task")
            lines.append(
                f"| {method} | {int(g['n'].max())} | "
                + " | ".join(
                    f"{cell(g.loc[t, 'final_mean'], g.loc[t, 'final_sem'])} / "
                    f"{cell(g.loc[t, 'during_mean'], g.loc[t, 'during_sem'])}"
                    if t in g.index
                    else "—"
                    for t in tasks
                )
                + " |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"


def split_cifar_figure(table: pd.DataFrame, png, pdf, order: list[str]) -> None:
    """Fig. 5: per-task accuracy after all tasks (bars, ± SEM) and right after learning each task
    (black markers), one panel per network, methods side by side."""
    networks = list(dict.fromkeys(table["network"])) or ["(no split CIFAR runs)"]
    fig, axes = plt.subplots(1, len(networks), figsize=(6.5 * len(networks), 4), squeeze=False, layout="constrained")
    for ax, network in zip(axes[0], networks):
        d = table[table["network"] == network]
        methods = _methods(d, order)
        width = 0.8 / max(len(methods), 1)
        for k, method in enumerate(methods):
            g = d[d["method"] == method].sort_values("task")
            pos = g["task"].to_numpy() + (k - (len(methods) - 1) / 2) * width
            ax.bar(pos, g["final_mean"], width, yerr=g["final_sem"].fillna(0), capsize=1.5, label=method)
            ax.errorbar(
                pos,
                g["during_mean"],
                yerr=g["during_sem"].fillna(0),
                fmt="k.",
                ms=4,
                lw=0.8,
                label="during (right after the task)" if k == 0 else None,
            )
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


def embedding_grid_observations(grid: dict, threshold: float = 90.0) -> list[str]:
    """What the Fig. 4 grid shows, measured: accuracy at the learned embeddings, which later
    embeddings fall in an earlier task's high-accuracy region, and whether the last task's region
    stays inside the grid."""
    acc, gx, gy, embs = grid["accuracy"], grid["gx"], grid["gy"], grid["embeddings"]

    def at(task: int, e) -> float:
        return float(acc[task, np.abs(gy - e[1]).argmin(), np.abs(gx - e[0]).argmin()])

    n = acc.shape[0]
    own = [at(t, embs[t]) for t in range(n)]
    lines = [f"Accuracy of each task at its own learned embedding (grid cell): {', '.join(f'{a:.1f}' for a in own)} %."]
    inside = [(i, j) for i in range(n) for j in range(i + 1, n) if at(i, embs[j]) >= threshold]
    lines.append(
        f"Later embeddings inside an earlier task's >= {threshold:.0f} % region: "
        + (", ".join(f"e{j + 1} in task {i + 1}'s" for i, j in inside) if inside else "none")
        + "."
    )
    last = acc[-1] >= threshold
    border = bool(last[0].any() or last[-1].any() or last[:, 0].any() or last[:, -1].any())
    lines.append(
        f"The last task's >= {threshold:.0f} % region covers {100 * last.mean():.0f} % of the grid and "
        + ("reaches the grid's border." if border else "lies inside it (finite).")
    )
    lines.append(
        "Chance for a two-class head is 50 %; lowest accuracy of an earlier task at its own embedding: "
        f"{min(own[:-1]) if n > 1 else float('nan'):.1f} %."
    )
    return lines


def embedding_grid_figure(grid: dict, png, pdf, settings: str) -> None:
    """Fig. 4: each task's test accuracy with its embedding moved over the plane; markers: learned embeddings."""
    acc, gx, gy, embs = grid["accuracy"], grid["gx"], grid["gy"], grid["embeddings"]
    n = acc.shape[0]
    cols = min(n, 5)
    fig, axes = plt.subplots(
        int(np.ceil(n / cols)),
        cols,
        figsize=(3.2 * cols, 3.6 * int(np.ceil(n / cols))),
        squeeze=False,
        layout="constrained",
    )
    im = None
    for t, ax in enumerate(axes.flat):
        if t >= n:
            ax.set_visible(False)
            continue
        im = ax.imshow(
            acc[t],
            origin="lower",
            extent=(gx[0], gx[-1], gy[0], gy[-1]),
            vmin=0,
            vmax=100,
            cmap="viridis",
            aspect="equal",
        )
        for k, e in enumerate(embs):
            ax.plot(*e, marker="o", ms=6, mfc="white" if k == t else "none", mec="red" if k == t else "white")
            ax.annotate(str(k + 1), e, textcoords="offset points", xytext=(4, 4), fontsize=7, color="white")
        ax.set_title(f"task {t + 1} (digits {2 * t}/{2 * t + 1})", fontsize=9)
        ax.set_xlabel("embedding dim 1", fontsize=8)
        ax.set_ylabel("embedding dim 2", fontsize=8)
    fig.colorbar(im, ax=axes, shrink=0.8, label="test accuracy of the task's head (%)")
    fig.suptitle(
        f"SplitMNIST task-embedding space (the paper's Fig. 4): markers = learned embeddings "
        f"1..{n} (red rim: the panel's task)\n{settings}",
        fontsize=9,
    )
    _save(fig, png, pdf)


FIG3A_METHODS = ("hnet", "si", "online_ewc", "dgr_distill")


def permuted_100_figure(runs: pd.DataFrame, png, pdf, label: str = "permuted_mnist_100") -> None:
    """Fig. 3a: PermutedMNIST-100 CL1, test accuracy on every task after learning all 100, per method
    (line: mean over seeds, band: min to max over seeds)."""
    d = runs[(runs["benchmark"] == label) & (runs["scenario"] == "cl1") & runs["method"].isin(FIG3A_METHODS)]
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    for method in [m for m in FIG3A_METHODS if m in set(d["method"])]:
        g = d[d["method"] == method].groupby("task")["final"]
        mean, lo, hi = g.mean(), g.min(), g.max()
        (line,) = ax.plot(
            mean.index, mean.values, lw=1.5, label=f"{method} (n={d[d['method'] == method]['seed'].nunique()})"
        )
        ax.fill_between(mean.index, lo.values, hi.values, color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xlabel("task")
    ax.set_ylabel("test accuracy after learning all tasks (%)")
    ax.set_title("PermutedMNIST-100, CL1 (the paper's Fig. 3a): mean over seeds, band min-max", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, png, pdf)
