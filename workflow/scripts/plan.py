"""Rule plan: the job classes from the workflow, the probes and the prediction from hnet.tools.plan."""

import json
import sys
import tempfile

from hnet.tools.plan import main

sm = snakemake  # noqa: F821 (injected by Snakemake)
sys.stderr = open(sm.log[0], "w", buffering=1)  # line-buffered: progress shows in the log
with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
    json.dump(sm.params.jobs, fh)
args = [
    "--jobs",
    fh.name,
    "--data-dir",
    sm.params.data_dir,
    "--device",
    sm.params.device,
    "--threads-per-run",
    str(sm.params.threads_per_run),
    "--cores",
    str(sm.params.cores),
    "--gpus",
    str(max(sm.params.gpus, 1)),
    "--out",
    sm.output.report,
    "--csv",
    sm.output.table,
]
raise SystemExit(main(args))
