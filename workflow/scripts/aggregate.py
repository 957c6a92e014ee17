"""Thin wrapper: run folders -> results/tables (see hnet.analysis.aggregate)."""
import sys
from pathlib import Path

from hnet.analysis.aggregate import read_runs, table, write_table

sm = snakemake  # noqa: F821 (injected by the script directive)
sys.stderr = open(sm.log[0], "w")
runs, matrices, predictions = read_runs(sm.input.runs)
out = Path(sm.params.out_dir)
runs.to_csv(sm.output.runs, index=False)
matrices.to_csv(sm.output.matrices, index=False)
predictions.to_csv(sm.output.predictions, index=False)
order = list(sm.params.method_order)
expected = {tuple(k.split("/")): v for k, v in sm.params.expected.items()}
write_table(table(runs, "final_mean", order, expected), out / "table1_final",
            "Final mean accuracy (MSE for regression) after all tasks, mean ± SEM over seeds")
for bench in sm.params.benchmarks:
    sub = runs[runs["benchmark"] == bench]
    for quantity, label in (("final_mean", "final"), ("during_mean", "during")):
        mine = {k: v for k, v in expected.items() if k[0] == bench}
        write_table(table(sub, quantity, order, mine), out / f"{bench}_{label}",
                    f"{bench}: {label} mean score, mean ± SEM over seeds (n = finished runs)")
print(f"{len(runs)} run-task rows from {len(sm.input.runs)} runs", file=sys.stderr)
