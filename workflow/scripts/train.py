"""Thin wrapper: one training job of the workflow -> hnet.run.cli.workflow_job (a run request's
cell, the metrics.json files to write: one, or one per packed seed). Its exit code is the job's."""

import logging
import os
import sys

sm = snakemake  # noqa: F821 (injected by the script directive)
log = open(sm.log[0], "w", buffering=1)
console = os.fdopen(os.dup(2), "w")  # the one-line error goes to the console too, not only into the log
os.dup2(log.fileno(), 1)  # everything the job prints, torch's C++ warnings included, goes to its log
os.dup2(log.fileno(), 2)
os.environ["OMP_NUM_THREADS"] = str(sm.threads)

import torch  # noqa: E402 (after the thread count is set)

from hnet.run.cli import workflow_job  # noqa: E402
from hnet.run.execute import Place  # noqa: E402

torch.set_num_threads(sm.threads)
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
metrics = sm.output.metrics
request = dict(sm.params.request)
if os.environ.get("HNET_KEEP_CHECKPOINT") == "1":
    request["keep_checkpoint"] = True
code = workflow_job(
    request,
    [metrics] if isinstance(metrics, str) else list(metrics),
    # compile is read from the config, not params: it changes speed, not results, so it reruns nothing
    Place(sm.params.data_dir, True, sm.params.device, dict(sm.params.dataset_dirs), sm.config.get("compile", "none")),
)
if code:
    errors = [line for line in open(sm.log[0]).read().splitlines() if line.startswith("ERROR")]
    console.write("\n".join(errors[-1:] or [f"ERROR training failed (exit code {code}); see {sm.log[0]}"]) + "\n")
    console.flush()
raise SystemExit(code)
