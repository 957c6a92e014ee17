"""Thin wrapper: tables -> one figure (the figure functions are hnet.analysis.figures.FIGURES)."""

import sys

import pandas as pd

from hnet.analysis import figures

sm = snakemake  # noqa: F821 (injected by the script directive)
sys.stderr = open(sm.log[0], "w")
order = list(sm.params.method_order)
if sm.rule == "regression_fits":
    figures.regression_fits(pd.read_csv(sm.input.predictions), sm.output.png, sm.output.pdf, order)
else:
    tables = figures.Tables(pd.read_csv(sm.input.runs), pd.read_csv(sm.input.matrices))
    bench, scenario = sm.wildcards.label, sm.wildcards.scenario
    metric = tables.runs.loc[tables.runs["benchmark"] == bench, "metric"].iloc[0]
    figures.FIGURES[sm.wildcards.kind].draw(tables, bench, scenario, sm.output.png, sm.output.pdf, order, metric)
