"""The method interface of the continual-learning loop.

A method is a small object with a few hooks; the loop (``hnet.core.loop``) calls them in this
order: ``phases`` once, then per phase ``begin_task``, ``train_step`` x iterations, ``end_task``,
and ``predictor`` for evaluation. A method says what it needs and keeps:

- ``supports``: the scenarios it can be evaluated in (the workflow leaves other cells out);
- ``needs_flat_input``: it only works on vector inputs (e.g. an MLP-based VAE), so image
  benchmarks leave it out; ``classification_only``: regression benchmarks leave it out;
- ``packable``: its step works on weights with a leading seed dimension, so several seeds can be
  trained as one batched model (``Context.streams``); ``pack_refusal`` says why not for a config;
- ``settings``: its implementation switches as typed defaults (``Setting``); paper
  hyperparameters come from the presets;
- ``state``: the names of the attributes a checkpoint must hold to continue after a finished
  task. ``state_dict``/``load_state_dict`` save and restore exactly those (see ``Stateful``); the
  extension contract test fails for a method whose resumed run would differ.

Methods are discovered by ``hnet.registry``; nothing here imports a method.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from hnet.benchmarks import SCENARIOS, Benchmark, Scenario
from hnet.core.data import PhaseData
from hnet.core.seeds import SeedStreams
from hnet.core.state import Stateful
from hnet.settings import REQUIRED, Setting  # noqa: F401 (re-exported)


@dataclass
class Context:
    """What a method may know about the run: the task stream, the scenario, its config, the device.

    ``streams``: set when the method trains several seeds at once (packed): its weights then carry a
    leading seed dimension, each seed draws from its own stream (``SeedStreams.use``), ``train_step``
    gets batches ``(S, B, ...)`` and returns the sum of the seeds' losses, and ``predictor(task)``
    maps inputs ``(B, ...)`` to outputs ``(S, B, ...)``. ``compile``: the mode of
    ``hnet.core.compiling`` for the parts of the training step a method passes to ``compiled``.
    """

    benchmark: Benchmark
    scenario: Scenario
    cfg: dict
    device: torch.device
    streams: SeedStreams | None = None
    compile: str = "none"  # the hnet.core.compiling mode


class Method(Stateful):
    name: ClassVar[str] = ""
    supports: ClassVar[frozenset[str]] = frozenset(SCENARIOS)
    needs_flat_input: ClassVar[bool] = False
    classification_only: ClassVar[bool] = False
    packable: ClassVar[bool] = False  # S seeds can train as one batched model (Context.streams)
    settings: ClassVar[dict[str, Setting]] = {}

    def __init__(self, ctx: Context):
        self.ctx, self.cfg, self.device = ctx, ctx.cfg, ctx.device
        self.scenario = ctx.scenario
        self.streams = ctx.streams
        if self.streams is not None:
            why = self.pack_refusal(self.cfg, ctx.benchmark.input_shape)
            if why:
                raise ValueError(f"{why}; run its seeds unpacked")

    @property
    def n_seeds(self) -> int:
        """How many seeds this method trains at once (1 unless packed)."""
        return 1 if self.streams is None else len(self.streams)

    @classmethod
    def pack_refusal(cls, cfg: dict, input_shape: tuple[int, ...]) -> str | None:
        """Why this method cannot train seeds packed with run config ``cfg``, or None when it can."""
        if not cls.packable:
            return f"method {cls.name!r} cannot be packed (Method.packable is false)"
        if cfg.get("lr_plateau"):
            return (
                "lr_plateau is set: one optimizer over the stacked seeds cannot follow each seed's own "
                "validation accuracy"
            )
        return None

    @classmethod
    def all_settings(cls) -> dict[str, Setting]:
        """``settings`` of this class and its bases (a subclass may redefine a base's)."""
        out: dict[str, Setting] = {}
        for klass in reversed(cls.__mro__):
            out.update(vars(klass).get("settings", {}))
        return out

    def phases(self, n_tasks: int) -> list[list[int]]:
        return [[t] for t in range(n_tasks)]

    def begin_task(self, task: int) -> None:
        pass

    def train_step(self, x: Tensor, y: Tensor, task_ids: Tensor, seen: int) -> Tensor:
        raise NotImplementedError

    def end_task(self, task: int, data: PhaseData) -> None:
        pass

    def predictor(self, task: int) -> Callable[[Tensor], Tensor]:
        raise NotImplementedError

    def nonfinite(self) -> str | None:
        """A description of any non-finite weight, or None."""
        return None

    def optimizers(self) -> list[torch.optim.Optimizer]:
        """The optimizers a learning-rate schedule acts on during the current phase."""
        return []

    def info(self) -> dict:
        return {}
