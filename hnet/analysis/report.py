"""The reproduction report: every reproduced number beside the published one and the authors' code
on the same data, and where the numbers come from."""

from __future__ import annotations

import math

import pandas as pd

from hnet.analysis import equivalence
from hnet.analysis.aggregate import per_run, sem, summary


def reproduced(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean/SEM/n and the per-seed values for every quantity the reference data can name
    (final_mean, final_task<i>)."""
    cell = ["benchmark", "scenario", "method"]
    overall = summary(runs, "final_mean").assign(quantity="final_mean")
    seeds = per_run(runs).groupby(cell)["final_mean"].agg(lambda s: list(s.dropna())).rename("values")
    rows = [overall.merge(seeds.reset_index(), on=cell)]
    per_task = (
        runs.groupby([*cell, "task"])
        .agg(
            mean=("final", "mean"),
            sem=("final", sem),
            n=("final", "count"),
            metric=("metric", "first"),
            values=("final", lambda s: list(s.dropna())),
        )
        .reset_index()
    )
    per_task["quantity"] = "final_task" + per_task["task"].astype(str)
    rows.append(per_task.drop(columns="task"))
    return pd.concat(rows, ignore_index=True)


def verdict(r, margins: dict, alpha: float) -> equivalence.Verdict:
    """The equivalence verdict of one report row: against the reference code's runs where they ran
    on the same data, else against the published number."""
    if isinstance(r.ref_values, list):
        return equivalence.against_runs(r.values, r.ref_values, r.metric, margins, alpha)
    return equivalence.against_value(r.values, r.value, r.sem_pub, r.metric, margins, alpha)


def verdict_text(v: equivalence.Verdict, metric: str) -> str:
    interval = "" if math.isnan(v.low) else f" [{v.low:+.3g}, {v.high:+.3g}]"
    if metric == "mse" and interval:
        interval = f" [x{math.exp(v.low):.3g}, x{math.exp(v.high):.3g}]"
    text = v.verdict if v.verdict == equivalence.EQUIVALENT else f"**{v.verdict}**"
    return text + interval + (f" ({v.why})" if v.why and v.verdict == equivalence.NOT_ENOUGH else "")


def fmt(v: float, s: float, metric: str) -> str:
    f = "{:.5f}" if metric == "mse" else "{:.2f}"
    return "—" if math.isnan(v) else f.format(v) + ("" if math.isnan(s) else " ± " + f.format(s))


def code_name(code: str) -> str:
    """'owner/repo@commit' of a reference row's ``code`` ('github.com/owner/repo@commit (...)')."""
    return str(code).split(" ")[0].removeprefix("github.com/") if isinstance(code, str) else "authors' code"


def authors_reference(authors: pd.DataFrame | None, runs: pd.DataFrame) -> pd.DataFrame:
    """The authors' code's numbers per cell (mean ± SEM over its seeds), where this report's runs of
    that cell read the same data files (same combined SHA-256): else they are not the same data.
    Generated data (the toy regression: no files, no checksum on either side) counts as the same
    data: the same functions and test points, the training draws from another generator."""
    cols = [
        "benchmark",
        "scenario",
        "method",
        "quantity",
        "ref",
        "ref_sem",
        "ref_n",
        "ref_values",
        "ref_code",
        "ref_generated",
    ]
    if authors is None or authors.empty:
        return pd.DataFrame(columns=cols)
    shas = runs.groupby(["benchmark", "scenario", "method"])["data_sha256"].agg(lambda s: set(s.dropna()))
    rows = []
    for (b, sc, m), g in authors.groupby(["benchmark", "scenario", "method"]):
        theirs = set(g["data_sha256"].dropna())
        if shas.get((b, sc, m)) != theirs:
            continue
        rows.append(
            {
                "benchmark": b,
                "scenario": sc,
                "method": m,
                "quantity": "final_mean",
                "ref": g["final_mean"].mean(),
                "ref_sem": sem(g["final_mean"]),
                "ref_n": len(g),
                "ref_values": [float(v) for v in g["final_mean"]],
                "ref_code": code_name(g["code"].iloc[0]) if "code" in g else "authors' code",
                "ref_generated": not theirs,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def build_report(
    runs: pd.DataFrame,
    published: pd.DataFrame,
    tol: dict,
    config_name: str,
    expected_seeds: dict[str, int],
    authors: pd.DataFrame | None = None,
    verdicts: bool = True,
    preamble: str = "",
) -> str:
    """Every reproduced number beside the published one and the authors' code on the same data; the
    verdict compares with the authors' code where it ran on the same data, else with the paper
    (``hnet.analysis.equivalence``: margins ``tol``, level ``tol['alpha']``)."""
    alpha = float(tol.get("alpha", 0.05))
    rep = reproduced(runs)
    keys = ["benchmark", "scenario", "method", "quantity"]
    ref = authors_reference(authors, runs)
    cells = published[keys].merge(ref[keys], how="outer").drop_duplicates()
    merged = (
        cells.merge(published, on=keys, how="left")
        .merge(ref, on=keys, how="left")
        .merge(rep, on=keys, how="left", suffixes=("_pub", ""))
    )
    verdict_note = (
        "Verdicts compare with the reference code on the same data where it exists, else with the published "
        "number. " + equivalence.describe(tol, alpha)
        if verdicts
        else "**No verdicts: this configuration's runs are shortened smoke tests, not comparable with "
        "the published numbers or the authors' code.**"
    )
    lines = [
        "# Reproduction report",
        "",
        f"Configuration: `{config_name}`. Reproduced: mean ± SEM over seeds (n = finished runs / configured). "
        f"{verdict_note}",
        "",
        *([preamble] if preamble else []),
        "## Reproduced beside published",
        "",
        "| benchmark | scenario | method | quantity | published | authors' code, same data | reproduced | n | "
        f"difference | verdict [{100 * (1 - 2 * alpha):g} % CI] | compared with | source |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    missing = []
    for r in merged.itertuples():
        if pd.isna(r.mean):
            missing.append(r)
            continue
        metric, nan = r.metric, math.nan
        pub, pub_sem = (nan if pd.isna(r.value) else r.value), (nan if pd.isna(r.sem_pub) else float(r.sem_pub))
        rep_sem = nan if pd.isna(r.sem) else float(r.sem)
        has_ref = isinstance(r.ref_values, list)
        target = r.ref if has_ref else pub
        against = r.ref_code if has_ref else "published"
        ok = "not comparable" if not verdicts else verdict_text(verdict(r, tol, alpha), metric)
        ref_text = (
            (
                fmt(r.ref, nan if pd.isna(r.ref_sem) else r.ref_sem, metric)
                + f" (n={int(r.ref_n)}"
                + (", generated data" if r.ref_generated else "")
                + ")"
            )
            if has_ref
            else "—"
        )
        lines.append(
            f"| {r.benchmark} | {r.scenario.upper()} | {r.method} | {r.quantity} | {fmt(pub, pub_sem, metric)} | "
            f"{ref_text} | {fmt(r.mean, rep_sem, metric)} | {int(r.n)}/{expected_seeds.get(r.benchmark, '?')} | "
            f"{r.mean - target:+.4g} | {ok} | {against} | {'' if pd.isna(r.source) else r.source} |"
        )
    lines += ["", "## Published numbers without a reproduced counterpart in this configuration", ""]
    lines += [
        f"- {r.benchmark} {r.scenario.upper()} {r.method} {r.quantity}: {r.value} ({r.source})"
        for r in missing
        if not pd.isna(r.value)
    ] or ["- none"]
    pub_keys = set(map(tuple, published[keys].values)) | set(map(tuple, ref[keys].values))
    own = rep[(rep["quantity"] == "final_mean")]
    unmatched = [r for r in own.itertuples() if (r.benchmark, r.scenario, r.method, r.quantity) not in pub_keys]
    lines += ["", "## Reproduced cells with no published counterpart", ""]
    lines += [
        f"- {r.benchmark} {r.scenario.upper()} {r.method}: final mean {fmt(r.mean, r.sem, r.metric)} (n={r.n})"
        for r in unmatched
    ] or ["- none"]
    return "\n".join(lines) + "\n"


def provenance_section(runs: pd.DataFrame, excluded: pd.DataFrame) -> str:
    """What the numbers come from: distinct code commits and data checksums, and runs left out."""
    per_run = runs.drop_duplicates(["benchmark", "scenario", "method", "seed"])
    lines = ["## Provenance", ""]
    code = per_run.assign(
        commit=per_run["commit"].fillna("(not a git checkout)"),
        dirty=per_run["dirty"].map({True: "uncommitted changes", False: "clean"}).fillna("—"),
    )
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
        lines += [
            f"- `{r.run}`: {r.reason} (recorded {r.recorded}, expected {r.expected})" for r in excluded.itertuples()
        ]
    return "\n".join(lines) + "\n\n"


SWEEPS_INTRO = (
    "\n## Sweeps\n\nEach point is an ordinary run per seed (`results/sweeps/<sweep>/<point>/`); "
    "figures in `results/figures/sweeps/`.\n\n"
)
EMBEDDING_GRID_INTRO = (
    "\n## The task-embedding space (the paper's Fig. 4)\n\nFigure: `figures/embedding_grid.png`. The paper's claims: "
    "high accuracy with 2-D embeddings; the region that solves an early task contains later embeddings (transfer); "
    "the last task's high-accuracy region is finite and older embeddings stay above chance. Measured here:\n\n"
)
SPLIT_CIFAR_INTRO = (
    "\n## Split CIFAR-10/100 (the paper's Fig. 5)\n\nThe paper's Fig. 5 gives these numbers only as a plot, which "
    "could not be read here: `config/reference/published.csv` has no split CIFAR values, so there is no verdict, "
    "only the measured numbers (figure: `figures/split_cifar_fig5.png`).\n\n"
)


def assemble_report(
    runs: pd.DataFrame,
    excluded: pd.DataFrame,
    published: pd.DataFrame,
    authors: pd.DataFrame,
    tol: dict,
    config_name: str,
    expected_seeds: dict[str, int],
    verdicts: bool,
    ent_section: str = "",
    sweeps: list[str] = (),
    embedding_grid: list[str] = (),
    split_cifar: list[str] = (),
) -> str:
    """The whole report in its order: header, provenance, the comparison, then the studies' sections
    (the HNET+ENT study, sweeps, Fig. 4, Fig. 5's table), each given as Markdown text."""
    text = build_report(
        runs,
        published,
        tol,
        config_name,
        expected_seeds,
        authors,
        verdicts,
        preamble=provenance_section(runs, excluded),
    )
    text += ent_section
    if sweeps:
        text += SWEEPS_INTRO + "\n".join(sweeps)
    text += "".join(EMBEDDING_GRID_INTRO + part for part in embedding_grid)
    text += "".join(SPLIT_CIFAR_INTRO + part for part in split_cifar)
    return text
