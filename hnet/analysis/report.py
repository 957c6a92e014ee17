"""The reproduction report: every reproduced number beside the published one."""

from __future__ import annotations

import math

import pandas as pd

from hnet.analysis.aggregate import sem, summary


def reproduced(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean/SEM/n for every quantity the reference data can name (final_mean, final_task<i>)."""
    rows = [summary(runs, "final_mean").assign(quantity="final_mean")]
    per_task = runs.groupby(["benchmark", "scenario", "method", "task"]).agg(
        mean=("final", "mean"), sem=("final", sem), n=("final", "count"), metric=("metric", "first")).reset_index()
    per_task["quantity"] = "final_task" + per_task["task"].astype(str)
    rows.append(per_task.drop(columns="task"))
    return pd.concat(rows, ignore_index=True)


def within(pub: float, pub_sem: float, rep: float, rep_sem: float, metric: str, tol: dict) -> bool:
    if metric == "mse":
        return max(pub, rep) / max(min(pub, rep), 1e-12) <= tol["mse_factor"]
    spread = 2 * math.sqrt(sum(s**2 for s in (pub_sem, rep_sem) if not math.isnan(s)))
    return abs(rep - pub) <= max(tol["accuracy_points"], spread)


def _fmt(v: float, s: float, metric: str) -> str:
    f = "{:.5f}" if metric == "mse" else "{:.2f}"
    return "—" if math.isnan(v) else f.format(v) + ("" if math.isnan(s) else " ± " + f.format(s))


def build_report(runs: pd.DataFrame, published: pd.DataFrame, tol: dict, config_name: str,
                 expected_seeds: dict[str, int]) -> str:
    rep = reproduced(runs)
    keys = ["benchmark", "scenario", "method", "quantity"]
    merged = published.merge(rep, on=keys, how="left")
    lines = [
        "# Reproduction report", "",
        f"Configuration: `{config_name}`. Reproduced: mean ± SEM over seeds (n = finished runs). "
        f"Tolerance: accuracy within max({tol['accuracy_points']} points, 2 x combined SEM); "
        f"MSE within a factor {tol['mse_factor']}.", "",
        "## Reproduced beside published", "",
        "| benchmark | scenario | method | quantity | published | reproduced | n | difference | within tolerance | source |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    missing = []
    for r in merged.itertuples():
        pub_sem = float(r.sem_x) if not pd.isna(r.sem_x) else math.nan
        if pd.isna(r.mean):
            missing.append(r)
            continue
        metric = r.metric
        rep_sem = float(r.sem_y) if not pd.isna(r.sem_y) else math.nan
        ok = within(r.value, pub_sem, r.mean, rep_sem, metric, tol)
        diff = r.mean - r.value
        lines.append(f"| {r.benchmark} | {r.scenario.upper()} | {r.method} | {r.quantity} | "
                     f"{_fmt(r.value, pub_sem, metric)} | {_fmt(r.mean, rep_sem, metric)} | {int(r.n)}"
                     f"/{expected_seeds.get(r.benchmark, '?')} | {diff:+.4g} | {'yes' if ok else '**no**'} | "
                     f"{r.source} |")
    lines += ["", "## Published numbers without a reproduced counterpart in this configuration", ""]
    lines += [f"- {r.benchmark} {r.scenario.upper()} {r.method} {r.quantity}: {r.value} ({r.source})"
              for r in missing] or ["- none"]
    pub_keys = set(map(tuple, published[keys].values))
    own = rep[(rep["quantity"] == "final_mean")]
    unmatched = [r for r in own.itertuples() if (r.benchmark, r.scenario, r.method, r.quantity) not in pub_keys]
    lines += ["", "## Reproduced cells with no published counterpart", ""]
    lines += [f"- {r.benchmark} {r.scenario.upper()} {r.method}: final mean {_fmt(r.mean, r.sem, r.metric)} "
              f"(n={r.n})" for r in unmatched] or ["- none"]
    return "\n".join(lines) + "\n"
