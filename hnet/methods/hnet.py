"""HNET (von Oswald et al. 2020): the CL1 method, a target network generated per task by a
protected hypernetwork (``hnet.methods.protected``).

The target network's running statistics (batch norm), if it has any, are kept per task: a fresh
set when a task begins, the task's own set when it is evaluated (``bn_stats_per_task``; the
authors' CIFAR code checkpoints them per task the same way). Hypernetwork fine-tuning (beta = 0)
uses one shared set, as the authors' ``--bn_no_stats_checkpointing``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from hnet.core import Context, Method, Setting
from hnet.core.compiling import compiled
from hnet.methods import protected
from hnet.methods.protected import ProtectedHypernet, hnet_settings, hypernet_settings
from hnet.nets import build_target


class HNET(Method):
    name = "hnet"
    supports = frozenset({"cl1"})
    packable = True
    settings = {
        **hypernet_settings(),
        "bn_stats_per_task": Setting(
            True, "a fresh set of running statistics per task (false: one shared set, for hypernetwork fine-tuning)"
        ),
    }
    state = ("ph", "net_states")

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.target = build_target(self.cfg, ctx.benchmark.input_shape, ctx.scenario.n_outputs)
        self.ph = ProtectedHypernet(
            self.target.num_params, hnet_settings(self.cfg), self.device, ctx.streams, ctx.compile
        )
        self.train_target = compiled(self.target, ctx.compile)  # the training forward (hnet.core.compiling)
        self.net_states: list[list[Tensor]] = []

    @classmethod
    def pack_refusal(cls, cfg: dict, input_shape: tuple[int, ...]) -> str | None:
        target = build_target(cfg, tuple(input_shape), 1)  # shapes only: no weights are allocated
        if not target.batched_weights or target.init_state():
            return f"target network {type(target).__name__} cannot apply stacked weights"
        return super().pack_refusal(cfg, input_shape) or protected.pack_refusal(hnet_settings(cfg))

    def weights_for(self, task: int) -> Tensor:
        return self.ph.weights_for(task)

    def net_state(self, task: int) -> list[Tensor]:
        if not self.net_states:
            return []
        return self.net_states[min(task, len(self.net_states) - 1) if self.cfg["bn_stats_per_task"] else 0]

    def begin_task(self, task: int) -> None:
        self.task = task
        self.ph.begin_task(task)
        wanted = task + 1 if self.cfg["bn_stats_per_task"] else 1
        while len(self.net_states) < wanted:
            self.net_states.append([s.to(self.device) for s in self.target.init_state()])

    def end_task(self, task: int, data) -> None:
        self.ph.end_task(task)

    def train_step(self, x, y, task_ids, seen) -> Tensor:
        state = self.net_state(self.task)
        return self.ph.step(lambda w: self.scenario.loss(self.train_target(x, w, state, True), task_ids, y, seen))

    def predictor(self, task: int):
        weights, state = self.weights_for(task), self.net_state(task)
        return lambda x: self.target(x, weights, state)

    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.ph.opt_h, self.ph.opt_e]

    def nonfinite(self) -> str | None:
        if not torch.isfinite(self.weights_for(len(self.ph.embs) - 1)).all():
            return "non-finite generated target weights"
        return None

    def info(self) -> dict:
        return {"target_params": self.target.num_params, **self.ph.info(self.ctx.benchmark.n_tasks)}


class HNETFinetune(HNET):
    """Hypernetwork fine-tuning: HNET without protection, a reference point. Its presets set
    ``beta: 0`` and one shared set of running statistics (the authors' fine-tuning runs)."""

    name = "hnet_finetune"
