"""Thin wrapper: a sweep's runs -> its tidy table, summary and line plot (see hnet.analysis.sweeps)."""

import sys

from hnet.analysis import sweeps

sm = snakemake  # noqa: F821 (injected by the script directive)
sys.stderr = open(sm.log[0], "w")
points = {path: (point, int(seed)) for path, (point, seed) in dict(sm.params.points).items()}
table = sweeps.sweep_table(sm.wildcards.sweep, points, sm.params.x)
table.to_csv(sm.output.table, index=False)
text = f"### {sm.params.title}\n\n" + (f"{sm.params.claim}\n\n" if sm.params.claim else "")
text += (
    sweeps.summary_markdown(table, sm.params.title, sm.params.x) + "\n" + sweeps.observation(table, sm.params.x) + "\n"
)
with open(sm.output.summary, "w") as f:
    f.write(text)
sweeps.sweep_figure(table, sm.output.png, sm.output.pdf, sm.params.title, sm.params.x, sm.params.log_x)
