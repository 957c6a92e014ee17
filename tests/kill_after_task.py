"""``python -m tests.kill_after_task N <arguments of python -m hnet>``: the command line, killed
(SIGKILL) right after the checkpoint of task N is written, as a job killed by a scheduler would be.
The seam is ``hnet.run.execute.save_checkpoint``, wrapped here; production code has no test hook."""

import os
import signal
import sys

import hnet.run.execute as execute
from hnet.run.cli import main

KILL_AFTER = int(sys.argv[1])
_save = execute.save_checkpoint


def save_then_die(path, checkpoint):
    _save(path, checkpoint)
    if checkpoint["loop"]["next_phase"] == KILL_AFTER:
        os.kill(os.getpid(), signal.SIGKILL)


execute.save_checkpoint = save_then_die
raise SystemExit(main(sys.argv[2:]))
