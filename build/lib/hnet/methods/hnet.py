"""HNET (von Oswald et al. 2020): the CL1 method, a target network generated per task by a
protected hypernetwork (``hnet.methods.protected``).

The target network's running statistics (batch norm), if it has any, are kept per task: a fresh
set when a task begins, the task's own set when it is evaluated.
"""

from __future__ import annotations

import torch
from torch import Tensor

from hnet.core import Context, Method
from hnet.methods.protected import ProtectedHypernet, hnet_settings, hypernet_settings
from hnet.nets import build_target


class HNET(Method):
    name = "hnet"
    supports = frozenset({"cl1"})
    settings = hypernet_settings()
    state = ("ph", "net_states")

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.target = build_target(self.cfg, ctx.benchmark.input_shape, ctx.scenario.n_outputs)
        self.ph = ProtectedHypernet(self.target.num_params, hnet_settings(self.cfg), self.device)
        self.net_states: list[list[Tensor]] = []

    # The hypernetwork parts, by their short names (tests and benchmarks use them).
    hnet = property(lambda self: self.ph.hnet)
    embs = property(lambda self: self.ph.embs, lambda self, v: setattr(self.ph, "embs", v))
    emb = property(lambda self: self.ph.emb)
    opt_h = property(lambda self: self.ph.opt_h)

    def penalty(self, params, index):
        return self.ph.penalty(params, index)

    def weights_for(self, task: int) -> Tensor:
        return self.ph.weights_for(task)

    def net_state(self, task: int) -> list[Tensor]:
        return self.net_states[min(task, len(self.net_states) - 1)] if self.net_states else []

    def begin_task(self, task: int) -> None:
        self.task = task
        self.ph.begin_task(task)
        while len(self.net_states) <= task:
            self.net_states.append([s.to(self.device) for s in self.target.init_state()])

    def end_task(self, task: int, data) -> None:
        self.ph.end_task(task)

    def train_step(self, x, y, task_ids, seen) -> Tensor:
        state = self.net_state(self.task)
        return self.ph.step(lambda w: self.scenario.loss(self.target(x, w, state, True), task_ids, y, seen))

    def predictor(self, task: int):
        weights, state = self.weights_for(task), self.net_state(task)
        return lambda x: self.target(x, weights, state)

    def nonfinite(self) -> str | None:
        if not torch.isfinite(self.weights_for(len(self.embs) - 1)).all():
            return "non-finite generated target weights"
        return None

    def info(self) -> dict:
        return {"target_params": self.target.num_params, **self.ph.info(self.ctx.benchmark.n_tasks)}
