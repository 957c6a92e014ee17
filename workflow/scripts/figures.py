"""Thin wrapper: tables -> one figure (see hnet.analysis.figures)."""
import sys

import pandas as pd

from hnet.analysis import figures

sm = snakemake  # noqa: F821 (injected by the script directive)
sys.stderr = open(sm.log[0], "w")
order = list(sm.params.method_order)
if sm.rule == "regression_fits":
    figures.regression_fits(pd.read_csv(sm.input.predictions), sm.output.png, sm.output.pdf, order)
else:
    runs = pd.read_csv(sm.input.runs)
    bench, scenario, kind = sm.wildcards.benchmark, sm.wildcards.scenario, sm.wildcards.kind
    metric = runs.loc[runs["benchmark"] == bench, "metric"].iloc[0]
    if kind == "accuracy_matrix":
        figures.accuracy_heatmaps(pd.read_csv(sm.input.matrices), bench, scenario, sm.output.png, sm.output.pdf,
                                  order, metric)
    elif kind == "final_per_task":
        figures.final_curves(runs, bench, scenario, sm.output.png, sm.output.pdf, order, metric)
    else:
        figures.final_vs_during(runs, bench, scenario, sm.output.png, sm.output.pdf, order, metric)
