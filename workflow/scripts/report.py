"""Thin wrapper: runs.csv + reference numbers + the studies' sections -> results/report.md
(hnet.analysis.report.assemble_report)."""

import json
import sys
from pathlib import Path

import pandas as pd

from hnet.analysis.ent_report import ent_study_section
from hnet.analysis.report import assemble_report

sm = snakemake  # noqa: F821 (injected by the script directive)
sys.stderr = open(sm.log[0], "w")
published = pd.read_csv(sm.input.published)
studies = [json.loads(Path(p).read_text()) for p in sm.input.studies]
text = assemble_report(
    pd.read_csv(sm.input.runs),
    pd.read_csv(sm.input.excluded),
    published,
    pd.concat([pd.read_csv(p) for p in sm.input.authors], ignore_index=True),
    dict(sm.params.tolerance),
    sm.params.config_name,
    dict(sm.params.expected),
    sm.params.verdicts,
    ent_study_section(studies, published),
    [Path(p).read_text() for p in sm.input.sweeps],
    [Path(p).read_text() for p in sm.input.embedding_grid],
    [Path(p).read_text() for p in sm.input.split_cifar],
)
Path(sm.output[0]).write_text(text)
