"""Optional compilation of the training step's forward parts (``--compile``; the workflow's ``compile``).

- ``none`` (default): eager PyTorch.
- ``compile``: ``torch.compile`` (Inductor) of the parts a method hands to ``compiled``: the target
  network's training forward, and for a protected hypernetwork the weight generation and the
  regulariser. Their backward passes are compiled with them (AOTAutograd); the optimizer steps and the
  lookahead stay eager (a few multi-tensor operations each).
- ``cudagraphs``: the same graphs replayed as CUDA graphs (``mode="reduce-overhead"``): one launch
  per graph instead of one per kernel. CUDA only.

Shapes are static within a task (the loop draws full batches only; the number of previous tasks is
fixed for a task) and change between tasks: the first change recompiles once with that dimension
dynamic (Dynamo's automatic dynamic shapes), so a run of 100 tasks compiles a graph about twice, not
100 times. A compiled step computes what the eager one does with a different operation order and
fusion, so results agree within float32 rounding, not bitwise (``tests/test_compiling.py``). The mode
changes speed, not what a run is: it is a runtime choice like the device, recorded in metrics.json's
provenance and not part of a run's fingerprint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch

from hnet.errors import ConfigError

# mode -> torch.compile's options (none: not compiled)
TORCH_COMPILE_OPTIONS = {"none": None, "compile": {}, "cudagraphs": {"mode": "reduce-overhead"}}
COMPILE_MODES = tuple(TORCH_COMPILE_OPTIONS)
F = TypeVar("F", bound=Callable)


def check_compile_mode(mode: str, device: torch.device) -> None:
    if mode not in COMPILE_MODES:
        raise ConfigError(f"compile mode {mode!r} unknown; valid: {list(COMPILE_MODES)}")
    if mode == "cudagraphs" and device.type != "cuda":
        raise ConfigError(f"compile mode 'cudagraphs' needs a CUDA device (this run's is {device.type})")


def compiled(fn: F, mode: str) -> F:
    """``fn`` compiled as ``mode`` says (``none``: ``fn`` itself); ``mode`` checked by ``check_compile_mode``."""
    options = TORCH_COMPILE_OPTIONS[mode]
    return fn if options is None else torch.compile(fn, **options)


def step_begins(mode: str) -> None:
    """Tell CUDA graph trees that a new training step begins: the outputs of the last step's graphs
    are no longer read, so their memory may be reused (the loop holds only detached copies)."""
    if mode == "cudagraphs":
        torch.compiler.cudagraph_mark_step_begin()
