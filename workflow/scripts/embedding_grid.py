"""Thin wrapper: the Fig. 4 grid -> figure and the measured observations (hnet.analysis.paper_figures)."""

import json
import sys
from pathlib import Path

import numpy as np

from hnet.analysis import paper_figures

sm = snakemake  # noqa: F821 (injected by the script directive)
sys.stderr = open(sm.log[0], "w")
grid = dict(np.load(sm.input.grid))
info = json.loads(Path(sm.input.grid).with_suffix(".json").read_text())
c = info["config"]
settings = (
    f"SplitMNIST CL1, target MLP {c.get('target_hidden')}, hypernetwork {c.get('hnet_hidden')} chunk "
    f"{c.get('chunk_size')}, task embedding 2, beta {c.get('beta')}, {c.get('iterations')} iterations/task; "
    f"{info['grid']}x{info['grid']} grid, {info['test_images']} test images per task"
)
paper_figures.embedding_grid_figure(grid, sm.output.png, sm.output.pdf, settings)
lines = paper_figures.embedding_grid_observations(grid)
with open(sm.output.summary, "w") as f:
    cpu = f", {info['cpu_seconds']:.1f} s of CPU time" if "cpu_seconds" in info else ""
    f.write(
        f"Settings: {settings}. Grid evaluation: {info['seconds']:.1f} s wall{cpu}.\n\n"
        + "\n".join(f"- {line}" for line in lines)
        + "\n"
    )
