"""Thin wrapper: runs.csv -> the paper's Fig. 5 and its table (see hnet.analysis.paper_figures)."""

import sys

import pandas as pd

from hnet.analysis import paper_figures

sm = snakemake  # noqa: F821 (injected by the script directive)
sys.stderr = open(sm.log[0], "w")
order = list(sm.params.method_order)
table = paper_figures.split_cifar_table(pd.read_csv(sm.input.runs), order)
table.to_csv(sm.output.table, index=False)
with open(sm.output.markdown, "w") as f:
    f.write(paper_figures.split_cifar_markdown(table))
paper_figures.split_cifar_figure(table, sm.output.png, sm.output.pdf, order)
