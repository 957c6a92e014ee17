"""Base class of methods that train one target network's own weights (the baselines, HNET+R)."""

from __future__ import annotations

import torch
from torch import Tensor

from hnet.core.compiling import compiled
from hnet.core.method import Context, Method, Setting
from hnet.core.optim import adam
from hnet.nets import build_target


class TargetNetMethod(Method):
    """A target network trained on its own weights with Adam: loss = task loss + ``penalty()``.

    Subclasses override ``penalty``, ``after_step`` and ``end_task`` and add the attributes they
    keep across tasks to ``state``. The optimizer is kept across tasks unless ``reset_optimizer``
    is set (van de Ven & Tolias keep it). ``net_state`` is the network's one set of running
    statistics (batch norm), shared by all tasks. Packed seeds (``Context.streams``) stack the
    weights along a leading seed dimension; Adam and the baselines' penalties are elementwise, so
    every seed is updated exactly as its own run would be.
    """

    settings = {
        "reset_optimizer": Setting(
            False, "a fresh Adam for every task (van de Ven & Tolias' code keeps one optimizer across tasks)"
        )
    }
    state = ("params", "optimizer", "net_state")

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.net = build_target(self.cfg, ctx.benchmark.input_shape, ctx.scenario.n_outputs)
        if self.streams is None:
            init = self.net.init_params()
        else:  # packed seeds: each seed's initialisation from its own stream, stacked
            init = [torch.stack(ts) for ts in zip(*self.streams.each(self.net.init_params))]
        self.params = [p.to(self.device).requires_grad_() for p in init]
        self.net_state = [s.to(self.device) for s in self.net.init_state()]
        self.optimizer = self._new_optimizer()
        self.train_net = compiled(self.net, ctx.compile)  # the training forward (hnet.core.compiling)

    def _new_optimizer(self) -> torch.optim.Adam:
        c = self.cfg
        return adam(self.params, c["lr"], (c["adam_beta1"], c["adam_beta2"]))

    def forward(self, x: Tensor, params=None, train: bool = False) -> Tensor:
        net = self.train_net if train else self.net
        return net(x, self.params if params is None else params, self.net_state, train)

    @classmethod
    def pack_refusal(cls, cfg: dict, input_shape: tuple[int, ...]) -> str | None:
        net = build_target(cfg, tuple(input_shape), 1)  # shapes only: no weights are allocated
        if not net.batched_weights:
            return f"target network {type(net).__name__} cannot apply stacked weights"
        return super().pack_refusal(cfg, input_shape)

    def begin_task(self, task: int) -> None:
        if task > 0 and self.cfg["reset_optimizer"]:
            self.optimizer = self._new_optimizer()

    def penalty(self) -> Tensor | float:
        return 0.0

    def after_step(self) -> None:
        pass

    def task_loss(self, x, y, task_ids, seen) -> Tensor:
        return self.scenario.loss(self.forward(x, train=True), task_ids, y, seen)

    def train_step(self, x, y, task_ids, seen) -> Tensor:
        loss = self.task_loss(x, y, task_ids, seen) + self.penalty()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.after_step()
        return loss.detach()

    def predictor(self, task: int):
        return lambda x: self.forward(x)

    def optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.optimizer]

    def nonfinite(self) -> str | None:
        bad = [i for i, p in enumerate(self.params) if not torch.isfinite(p).all()]
        return f"non-finite weights in target-network tensors {bad}" if bad else None

    def info(self) -> dict:
        return {"target_params": self.net.num_params}
