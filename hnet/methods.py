"""The method interface of the continual-learning loop, the method registry, and a base class for
methods that train one target network's own weights (the baselines).

A method is a small object with a few hooks; the loop (``hnet.loop``) calls them in this order:
``phases`` once, then per phase ``begin_task``, ``train_step`` x iterations, ``end_task``, and
``predictor`` for evaluation. ``state_dict``/``load_state_dict`` make a run resumable between phases.
A new method is one module that defines a subclass decorated with ``@register``: modules in
``baselines/`` are discovered automatically.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from hnet.benchmarks import Benchmark, Scenario
from hnet.nets import MLP

METHODS: dict[str, type["Method"]] = {}
_DISCOVERED = False


def register(cls: type["Method"]) -> type["Method"]:
    METHODS[cls.name] = cls
    return cls


def _discover() -> None:
    global _DISCOVERED
    if _DISCOVERED:
        return
    importlib.import_module("hnet.hnet_method")
    importlib.import_module("hnet.task_inference")
    importlib.import_module("hnet.replay")
    import baselines

    for mod in pkgutil.iter_modules(baselines.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"baselines.{mod.name}")
    _DISCOVERED = True


def method_names() -> list[str]:
    _discover()
    return sorted(METHODS)


def method_class(name: str) -> type["Method"]:
    _discover()
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; valid: {sorted(METHODS)}")
    return METHODS[name]


@dataclass
class Context:
    """What a method may know about the run: sizes, the scenario's loss, its config, the device."""

    benchmark: Benchmark
    scenario: Scenario
    cfg: dict
    device: torch.device


class PhaseData:
    """Training data of one phase (one task, or all tasks for joint training)."""

    def __init__(self, tasks, batch_size: int, generator: torch.Generator, device: torch.device):
        self.tasks, self.batch_size, self.generator, self.device = tasks, batch_size, generator, device
        sizes = torch.tensor([t.n_train for t in tasks])
        self.offsets = torch.cumsum(sizes, 0) - sizes
        self.n = int(sizes.sum())
        self._order: Tensor | None = None
        self._pos = 0

    def _gather(self, flat_idx: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        if len(self.tasks) == 1:
            t = self.tasks[0]
            x, y = t.train_batch(flat_idx.to(self.device))
            return x, y, torch.full((len(flat_idx),), t.index, device=self.device)
        which = torch.searchsorted(self.offsets, flat_idx, right=True) - 1
        xs, ys, ids = [], [], []
        for k in which.unique().tolist():
            sel = flat_idx[which == k] - self.offsets[k]
            x, y = self.tasks[k].train_batch(sel.to(self.device))
            xs.append(x), ys.append(y)
            ids.append(torch.full((len(sel),), self.tasks[k].index, device=self.device))
        return torch.cat(xs), torch.cat(ys), torch.cat(ids)

    def next_batch(self) -> tuple[Tensor, Tensor, Tensor]:
        """A batch without replacement within an epoch; reshuffled every epoch."""
        if self._order is None or self._pos + self.batch_size > self.n:
            self._order = torch.randperm(self.n, generator=self.generator)
            self._pos = 0
        idx = self._order[self._pos : self._pos + self.batch_size]
        self._pos += self.batch_size
        return self._gather(idx)

    def iterate(self, batch_size: int, limit: int | None = None):
        """Every training sample once, in order (first ``limit`` of a fixed shuffle if given)."""
        if limit is not None and limit < self.n:
            idx = torch.randperm(self.n, generator=self.generator)[:limit].sort().values
        else:
            idx = torch.arange(self.n)
        for s in range(0, len(idx), batch_size):
            yield self._gather(idx[s : s + batch_size])


class Method:
    name: str = ""
    supports: frozenset[str] = frozenset({"cl1", "cl2", "cl3"})

    def __init__(self, ctx: Context):
        self.ctx, self.cfg, self.device = ctx, ctx.cfg, ctx.device
        self.scenario = ctx.scenario

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

    def info(self) -> dict:
        return {}

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


def build_target(ctx: Context) -> MLP:
    c = ctx.cfg
    return MLP(ctx.benchmark.input_dim, c["target_hidden"], ctx.scenario.n_outputs, c["target_activation"])


class TargetNetMethod(Method):
    """A target network trained on its own weights with Adam: loss = task loss + ``penalty()``.

    Subclasses (the baselines) override ``penalty``, ``after_step`` and ``end_task``; the optimizer
    is kept across tasks unless ``reset_optimizer`` is set (van de Ven & Tolias keep it).
    """

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.net = build_target(ctx)
        self.params = [p.to(self.device).requires_grad_() for p in self.net.init_params()]
        self.optimizer = self._new_optimizer()

    def _new_optimizer(self) -> torch.optim.Adam:
        c = self.cfg
        return torch.optim.Adam(self.params, lr=c["lr"], betas=(c["adam_beta1"], c["adam_beta2"]))

    def begin_task(self, task: int) -> None:
        if task > 0 and self.cfg.get("reset_optimizer", False):
            self.optimizer = self._new_optimizer()

    def penalty(self) -> Tensor | float:
        return 0.0

    def after_step(self) -> None:
        pass

    def task_loss(self, x, y, task_ids, seen) -> Tensor:
        return self.scenario.loss(self.net(x, self.params), task_ids, y, seen)

    def train_step(self, x, y, task_ids, seen) -> Tensor:
        loss = self.task_loss(x, y, task_ids, seen) + self.penalty()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.after_step()
        return loss.detach()

    def predictor(self, task: int):
        return lambda x: self.net(x, self.params)

    def nonfinite(self) -> str | None:
        bad = [i for i, p in enumerate(self.params) if not torch.isfinite(p).all()]
        return f"non-finite weights in target-network tensors {bad}" if bad else None

    def info(self) -> dict:
        return {"target_params": self.net.num_params}

    def state_dict(self) -> dict:
        return {"params": [p.detach().clone() for p in self.params], "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        with torch.no_grad():
            for p, v in zip(self.params, state["params"]):
                p.copy_(v)
        self.optimizer.load_state_dict(state["optimizer"])
