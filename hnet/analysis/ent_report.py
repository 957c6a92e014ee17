"""The report's HNET+ENT gap study section (``hnet.tools.ent_study`` results)."""

from __future__ import annotations

import math

import pandas as pd

from hnet.analysis.aggregate import sem
from hnet.analysis.report import fmt as _fmt


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
    return (
        f"- Selected minus paper on validation: {gap:+.2f} points, combined SEM {noise:.2f}: {verdict} "
        "twice the seed-to-seed noise of this study."
    )


def ent_study_section(studies: list[dict], published: pd.DataFrame) -> str:
    """HNET+ENT gap study (``hnet.ent_study`` results): (training setting, selection rule) pairs
    compared, and one selected, on validation only; test accuracies shown beside them."""
    if not studies:
        return ""
    lines = [
        "",
        "## HNET+ENT: task-selection rules chosen on a validation split",
        "",
        "Each study run trains HNET+ENT's classifier with part of the training data held out, under "
        "one training setting (`ent_study.variants`). The selection rules differ only in how the task "
        "networks' uncertainties are compared (`python -m hnet.ent_study`). The (setting, rule) pair "
        "with the best mean validation accuracy is selected; test accuracies are shown for every pair "
        "but never used to choose.",
        "",
    ]
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
        pub = published[
            (published.benchmark == bench)
            & (published.scenario == scenario)
            & (published.method == "hnet_ent")
            & (published.quantity == "final_mean")
        ]
        pub_text = (
            f"{_fmt(pub.value.iloc[0], pub['sem'].iloc[0], 'accuracy')} ({pub.source.iloc[0]})"
            if len(pub)
            else "none in the reference data"
        )
        seeds = sorted({s["seed"] for s in cell})
        lines += [
            f"### {bench} {scenario.upper()} (seeds {', '.join(map(str, seeds))}; validation split "
            f"{cell[0]['val_fraction']:g} of the training data)",
            "",
            "| training setting | rule | validation accuracy | test accuracy | validation task inference | "
            "validation share chosen per task (%) | |",
            "|---|---|---|---|---|---|---|",
        ]
        for (variant, rule), rs in rows.items():
            share = "/".join(f"{sum(r['val_chosen_share'][t] for r in rs) / len(rs):.0f}" for t in range(k))
            mark = "; ".join(
                m
                for m, on in (("paper", (variant, rule) == paper), ("**selected**", (variant, rule) == selected))
                if on
            )
            lines.append(
                f"| {variant} | {rule} | {_mean_sem([r['val_accuracy'] for r in rs])} | "
                f"{_mean_sem([r['test_accuracy'] for r in rs])} | "
                f"{_mean_sem([r['val_task_inference'] for r in rs])} | {share} | {mark} |"
            )
        paper_studies = [s for s in cell if s.get("variant", "paper") == paper[0]]
        paper_rs, sel_rs = rows[paper], rows[selected]
        ent = [sum(s["calibration"]["mean_entropy"][t] for s in paper_studies) / len(paper_studies) for t in range(k)]
        shares = [sum(r["val_chosen_share"][t] for r in paper_rs) / len(paper_rs) for t in range(k)]
        per_task = [sum(r["val_per_task"][t] for r in paper_rs) / len(paper_rs) for t in range(k)]
        others = [
            sum(s["calibration"]["confident_on_others"][t] for s in paper_studies) / len(paper_studies)
            for t in range(k)
        ]
        greedy, starved = max(range(k), key=lambda t: shares[t]), min(range(k), key=lambda t: shares[t])
        lines += [
            "",
            f"- Published: {pub_text}.",
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
            "separate them where two networks are both confident.",
            "",
        ]
    return "\n".join(lines) + "\n"
