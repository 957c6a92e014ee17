"""The one Adam every method builds (its hyperparameters are run settings, ``hnet.run.config``)."""

from __future__ import annotations

from collections.abc import Iterable

import torch


def adam(params: Iterable[torch.Tensor], lr: float, betas: tuple[float, float]) -> torch.optim.Adam:
    """``torch.optim.Adam`` with multi-tensor (``foreach``) updates: a few operations per step instead
    of a few per parameter; on CPU bitwise the same parameters as the per-parameter loop
    (``tests/test_regulariser.py``)."""
    return torch.optim.Adam(params, lr=lr, betas=betas, foreach=True)
