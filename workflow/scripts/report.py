"""Thin wrapper: runs.csv + published reference numbers (+ HNET+ENT studies) -> results/report.md."""
import json
import sys

import pandas as pd

from hnet.analysis.ent_report import ent_study_section
from hnet.analysis.report import build_report, provenance_section

sm = snakemake  # noqa: F821 (injected by the script directive)
sys.stderr = open(sm.log[0], "w")
runs = pd.read_csv(sm.input.runs)
text = build_report(runs, pd.read_csv(sm.input.published), dict(sm.params.tolerance), sm.params.config_name,
                    dict(sm.params.expected), pd.read_csv(sm.input.authors), sm.params.verdicts)
head, _, rest = text.partition("## Reproduced beside published")
text = head + provenance_section(runs, pd.read_csv(sm.input.excluded)) + "## Reproduced beside published" + rest
studies = [json.loads(open(p).read()) for p in sm.input.studies]
text += ent_study_section(studies, pd.read_csv(sm.input.published))
if sm.input.sweeps:
    text += ("\n## Sweeps\n\nEach point is an ordinary run per seed (`results/sweeps/<sweep>/<point>/`); "
             "figures in `results/figures/sweeps/`.\n\n" + "\n".join(open(p).read() for p in sm.input.sweeps))
for path in sm.input.embedding_grid:  # Fig. 4
    text += ("\n## The task-embedding space (the paper's Fig. 4)\n\nFigure: `figures/embedding_grid.png`. The "
             "paper's claims: high accuracy with 2-D embeddings; the region that solves an early task contains "
             "later embeddings (transfer); the last task's high-accuracy region is finite and older embeddings "
             "stay above chance. Measured here:\n\n" + open(path).read())
for path in sm.input.split_cifar:  # Fig. 5's table
    text += ("\n## Split CIFAR-10/100 (the paper's Fig. 5)\n\nThe paper's Fig. 5 gives these numbers only "
             "as a plot, which could not be read here: `config/reference/published.csv` has no split CIFAR "
             "values, so there is no verdict, only the measured numbers (figure: "
             "`figures/split_cifar_fig5.png`).\n\n" + open(path).read())
with open(sm.output[0], "w") as f:
    f.write(text)
