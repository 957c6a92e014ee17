"""What the extension contract compares: every tensor and number a method object holds."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

# Attributes that describe the run rather than hold learned state.
CONTEXT = {"ctx", "cfg", "device", "scenario", "eval_scenario", "train_scenario", "tir_scenario", "s"}


def snapshot(obj, path: str = "", seen: set | None = None) -> dict[str, object]:
    """Flat ``{attribute path: value}`` of everything learned that ``obj`` holds, recursively."""
    seen = set() if seen is None else seen
    out: dict[str, object] = {}
    if isinstance(obj, Tensor):
        out[path] = obj.detach().cpu().clone()
    elif isinstance(obj, (nn.Module, torch.optim.Optimizer)):
        out.update(snapshot(obj.state_dict(), path, seen))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.update(snapshot(v, f"{path}[{k!r}]", seen))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out.update(snapshot(v, f"{path}[{i}]", seen))
    elif isinstance(obj, (int, float, str, bool)) or obj is None:
        out[path] = obj
    elif hasattr(obj, "__dict__") and type(obj).__module__.split(".")[0] not in ("torch", "builtins"):
        if id(obj) in seen:
            return out
        seen.add(id(obj))
        for k, v in vars(obj).items():
            if k not in CONTEXT and not callable(v):
                out.update(snapshot(v, f"{path}.{k}", seen))
    return out


def differences(a: dict, b: dict) -> list[str]:
    diffs = [f"{k}: only in the uninterrupted run" for k in a.keys() - b.keys()]
    diffs += [f"{k}: only in the resumed run" for k in b.keys() - a.keys()]
    for k in a.keys() & b.keys():
        x, y = a[k], b[k]
        if isinstance(x, Tensor) or isinstance(y, Tensor):
            same = isinstance(x, Tensor) and isinstance(y, Tensor) and x.shape == y.shape and torch.equal(x, y)
        elif isinstance(x, float) and isinstance(y, float):
            same = x == y or (math.isnan(x) and math.isnan(y))
        else:
            same = x == y
        if not same:
            diffs.append(f"{k}: differs")
    return sorted(diffs)
