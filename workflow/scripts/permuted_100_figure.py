"""Thin wrapper: runs.csv -> the paper's Fig. 3a (see hnet.analysis.paper_figures)."""

import sys

import pandas as pd

from hnet.analysis import paper_figures

sm = snakemake  # noqa: F821 (injected by the script directive)
sys.stderr = open(sm.log[0], "w")
paper_figures.permuted_100_figure(pd.read_csv(sm.input.runs), sm.output.png, sm.output.pdf)
