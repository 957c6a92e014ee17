"""Thin wrapper: run folders -> results/tables (see hnet.analysis.aggregate).

Runs whose recorded fingerprint differs from the one this configuration expects were produced
under another configuration: the aggregation refuses them, or with on_missing_runs: skip leaves
them out and lists them in tables/excluded_runs.csv (the report says how many and why).
"""

import sys
from pathlib import Path

import pandas as pd

from hnet.analysis.aggregate import read_runs, screen_runs, table, write_table

sm = snakemake  # noqa: F821 (injected by the script directive)
sys.stderr = open(sm.log[0], "w")
kept, excluded = screen_runs(sm.input.runs, dict(sm.params.fingerprints))
pd.DataFrame(excluded, columns=["run", "recorded", "expected", "reason"]).to_csv(sm.output.excluded, index=False)
if excluded and sm.params.on_missing != "skip":
    msg = (
        f"{len(excluded)} run(s) were produced under another configuration than this one "
        f"(fingerprint differs): {', '.join(e['run'] for e in excluded[:5])}{' ...' if len(excluded) > 5 else ''}. "
        "Delete them to retrain, or set on_missing_runs=skip to build the tables without them."
    )
    print(msg, file=sys.stderr)
    print(f"ERROR {msg}", file=sys.__stderr__)
    raise SystemExit(1)
runs, matrices, predictions = read_runs(kept)
out = Path(sm.params.out_dir)
runs.to_csv(sm.output.runs, index=False)
matrices.to_csv(sm.output.matrices, index=False)
predictions.to_csv(sm.output.predictions, index=False)
order = list(sm.params.method_order)
expected = {tuple(k.split("/")): v for k, v in sm.params.expected.items()}
write_table(
    table(runs, "final_mean", order, expected, dict(sm.params.groups)),
    out / "table1_final",
    "Final mean accuracy (MSE for regression) after all tasks, mean ± SEM over seeds",
)
for bench in sm.params.benchmarks:
    sub = runs[runs["benchmark"] == bench]
    for quantity, label in (("final_mean", "final"), ("during_mean", "during")):
        mine = {k: v for k, v in expected.items() if k[0] == bench}
        write_table(
            table(sub, quantity, order, mine, dict(sm.params.groups)),
            out / f"{bench}_{label}",
            f"{bench}: {label} mean score, mean ± SEM over seeds (n = finished runs)",
        )
print(f"{len(runs)} run-task rows from {len(kept)} runs ({len(excluded)} excluded)", file=sys.stderr)
