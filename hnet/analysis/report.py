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


def provenance_section(runs: pd.DataFrame, excluded: pd.DataFrame) -> str:
    """What the numbers come from: distinct code commits and data checksums, and runs left out."""
    per_run = runs.drop_duplicates(["benchmark", "scenario", "method", "seed"])
    lines = ["## Provenance", ""]
    code = per_run.assign(commit=per_run["commit"].fillna("(not a git checkout)"),
                          dirty=per_run["dirty"].map({True: "uncommitted changes", False: "clean"}).fillna("—"))
    for (commit, dirty), n in code.groupby(["commit", "dirty"]).size().items():
        lines.append(f"- code `{commit}` ({dirty}): {n} run(s)")
    data = per_run.dropna(subset=["data_sha256"])
    for (dataset, sha), n in data.groupby(["dataset", "data_sha256"]).size().items():
        lines.append(f"- data `{dataset}` files, combined SHA-256 `{sha}`: {n} run(s)")
    n_generated = int(per_run["data_sha256"].isna().sum())
    if n_generated:
        lines.append(f"- generated data (no files) or no record: {n_generated} run(s)")
    if len(excluded):
        lines += ["", f"**{len(excluded)} run(s) excluded** (recorded under another configuration than this one):"]
        lines += [f"- `{r.run}`: {r.reason} (recorded {r.recorded}, expected {r.expected})"
                  for r in excluded.itertuples()]
    return "\n".join(lines) + "\n\n"


def _mean_sem(values: list[float]) -> str:
    s = pd.Series(values, dtype=float)
    return _fmt(s.mean(), sem(s) if len(s) > 1 else math.nan, "accuracy")


def _margin_line(selected: list[float], paper: list[float]) -> str:
    """The selected pair's validation margin over the paper's, against the seed-to-seed noise."""
    gap = sum(selected) / len(selected) - sum(paper) / len(paper)
    if len(selected) < 2 or len(paper) < 2:
        return f"- Selected minus paper on validation: {gap:+.2f} points (one seed: no noise estimate)."
    noise = math.sqrt(sem(pd.Series(selected)) ** 2 + sem(pd.Series(paper)) ** 2)
    verdict = "beyond" if abs(gap) > 2 * noise else "within"
    return (f"- Selected minus paper on validation: {gap:+.2f} points, combined SEM {noise:.2f}: {verdict} "
            "twice the seed-to-seed noise of this study.")


def ent_study_section(studies: list[dict], published: pd.DataFrame) -> str:
    """HNET+ENT gap study (``hnet.ent_study`` results): (training setting, selection rule) pairs
    compared, and one selected, on validation only; test accuracies shown beside them."""
    if not studies:
        return ""
    lines = ["", "## HNET+ENT: task-selection rules chosen on a validation split", "",
             "Each study run trains HNET+ENT's classifier with part of the training data held out, under "
             "one training setting (`ent_study.variants`). The selection rules differ only in how the task "
             "networks' uncertainties are compared (`python -m hnet.ent_study`). The (setting, rule) pair "
             "with the best mean validation accuracy is selected; test accuracies are shown for every pair "
             "but never used to choose.", ""]
    for bench, scenario in sorted({(s["benchmark"], s["scenario"]) for s in studies}):
        cell = [s for s in studies if (s["benchmark"], s["scenario"]) == (bench, scenario)]
        variants = list(dict.fromkeys(s.get("variant", "paper") for s in cell))
        rows: dict[tuple[str, str], list[dict]] = {}
        for s in cell:
            for r in s["rules"]:
                rows.setdefault((s.get("variant", "paper"), r["rule"]), []).append(r)
        val_mean = {key: sum(r["val_accuracy"] for r in rs) / len(rs) for key, rs in rows.items()}
        selected = max(rows, key=lambda key: val_mean[key])  # max keeps the first of equal means
        paper_rule = cell[0]["paper_rule"]
        paper = ("paper", paper_rule) if ("paper", paper_rule) in rows else (variants[0], paper_rule)
        k = len(cell[0]["calibration"]["mean_entropy"])
        pub = published[(published.benchmark == bench) & (published.scenario == scenario)
                        & (published.method == "hnet_ent") & (published.quantity == "final_mean")]
        pub_text = (f"{_fmt(pub.value.iloc[0], pub['sem'].iloc[0], 'accuracy')} ({pub.source.iloc[0]})"
                    if len(pub) else "none in the reference data")
        seeds = sorted({s["seed"] for s in cell})
        lines += [f"### {bench} {scenario.upper()} (seeds {', '.join(map(str, seeds))}; validation split "
                  f"{cell[0]['val_fraction']:g} of the training data)", "",
                  "| training setting | rule | validation accuracy | test accuracy | validation task inference | "
                  "validation share chosen per task (%) | |", "|---|---|---|---|---|---|---|"]
        for (variant, rule), rs in rows.items():
            share = "/".join(f"{sum(r['val_chosen_share'][t] for r in rs) / len(rs):.0f}" for t in range(k))
            mark = "; ".join(m for m, on in (("paper", (variant, rule) == paper),
                                              ("**selected**", (variant, rule) == selected)) if on)
            lines.append(f"| {variant} | {rule} | {_mean_sem([r['val_accuracy'] for r in rs])} | "
                         f"{_mean_sem([r['test_accuracy'] for r in rs])} | "
                         f"{_mean_sem([r['val_task_inference'] for r in rs])} | {share} | {mark} |")
        paper_studies = [s for s in cell if s.get("variant", "paper") == paper[0]]
        paper_rs, sel_rs = rows[paper], rows[selected]
        ent = [sum(s["calibration"]["mean_entropy"][t] for s in paper_studies) / len(paper_studies) for t in range(k)]
        shares = [sum(r["val_chosen_share"][t] for r in paper_rs) / len(paper_rs) for t in range(k)]
        per_task = [sum(r["val_per_task"][t] for r in paper_rs) / len(paper_rs) for t in range(k)]
        others = [sum(s["calibration"]["confident_on_others"][t] for s in paper_studies) / len(paper_studies)
                  for t in range(k)]
        greedy, starved = max(range(k), key=lambda t: shares[t]), min(range(k), key=lambda t: shares[t])
        lines += ["", f"- Published: {pub_text}.",
                  f"- Paper setting and rule on the test set: {_mean_sem([r['test_accuracy'] for r in paper_rs])}; "
                  f"selected (`{selected[0]}`, `{selected[1]}`) on the test set: "
                  f"{_mean_sem([r['test_accuracy'] for r in sel_rs])}.",
                  _margin_line([r["val_accuracy"] for r in sel_rs], [r["val_accuracy"] for r in paper_rs]),
                  f"- Ceiling with the true task's network (test, paper setting): "
                  f"{_mean_sem([s['oracle']['test'] for s in paper_studies])}. Every rule takes the class from the "
                  "chosen network, so the distance to this ceiling is task inference alone.",
                  f"- Why the paper rule falls short (paper setting, validation): it infers the right task for "
                  f"{_mean_sem([r['val_task_inference'] for r in paper_rs])} % of inputs. Each network is "
                  f"confident on its own task's inputs (mean entropy {', '.join(f'{e:.4f}' for e in ent)} nats, "
                  f"tasks 1..{k}), but on {'/'.join(f'{o:.0f}' for o in others)} % of the other tasks' inputs, "
                  "which it has never seen, it is at least as confident as on its median own input; "
                  f"task {greedy + 1}'s network claims {shares[greedy]:.0f} % of all inputs and task "
                  f"{starved + 1}'s only {shares[starved]:.0f} % (each task is {100 / k:.0f} %); per-task accuracy "
                  f"{'/'.join(f'{a:.0f}' for a in per_task)}. A per-network rescaling of the entropies (the "
                  "temperature and normalisation rules) moves inputs between networks wholesale and cannot "
                  "separate them where two networks are both confident.", ""]
    return "\n".join(lines) + "\n"
