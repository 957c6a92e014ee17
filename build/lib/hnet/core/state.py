"""Checkpointable objects: a class names the attributes that must survive a restart, once.

``state`` (a tuple of attribute names, accumulated over the class hierarchy) is all a method, a
hypernetwork wrapper or a VAE declares; ``state_dict`` exports those attributes and
``load_state_dict`` restores them. Tensors that already exist are overwritten in place, so the
optimizers that hold them keep working; modules, optimizers and nested ``Stateful`` objects
restore through their own ``load_state_dict``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn


def export(value: Any) -> Any:
    """A detached, independent copy of ``value`` for a checkpoint."""
    if isinstance(value, Tensor):
        return value.detach().clone()
    if isinstance(value, (nn.Module, torch.optim.Optimizer, Stateful)):
        return value.state_dict()
    if isinstance(value, list):
        return [export(v) for v in value]
    if isinstance(value, tuple):
        return tuple(export(v) for v in value)
    if isinstance(value, dict):
        return {k: export(v) for k, v in value.items()}
    return value


def restore(current: Any, saved: Any, device: torch.device | None) -> Any:
    """``saved`` put back into ``current`` (in place where possible); returns the value to keep."""
    if isinstance(current, (nn.Module, torch.optim.Optimizer, Stateful)):
        current.load_state_dict(saved)
        return current
    if isinstance(current, Tensor) and isinstance(saved, Tensor) and current.shape == saved.shape:
        with torch.no_grad():
            current.copy_(saved)
        return current
    if isinstance(current, list) and isinstance(saved, list) and len(current) == len(saved):
        return [restore(c, s, device) for c, s in zip(current, saved)]
    return _to(saved, device)


def _to(value: Any, device: torch.device | None) -> Any:
    if isinstance(value, Tensor):
        return value.to(device) if device is not None else value
    if isinstance(value, list):
        return [_to(v, device) for v in value]
    if isinstance(value, tuple):
        return tuple(_to(v, device) for v in value)
    if isinstance(value, dict):
        return {k: _to(v, device) for k, v in value.items()}
    return value


class Stateful:
    state: ClassVar[tuple[str, ...]] = ()
    device: torch.device | None = None

    @classmethod
    def state_names(cls) -> list[str]:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name in vars(klass).get("state", ()):
                if name not in names:
                    names.append(name)
        return names

    def state_dict(self) -> dict:
        return {name: export(getattr(self, name, None)) for name in self.state_names()}

    def load_state_dict(self, state: dict) -> None:
        missing = [n for n in self.state_names() if n not in state]
        if missing:
            raise KeyError(f"{type(self).__name__}: checkpoint lacks {missing}")
        for name in self.state_names():
            setattr(self, name, restore(getattr(self, name, None), state[name], self.device))
