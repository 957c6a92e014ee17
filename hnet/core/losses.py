"""Losses shared by methods (pure functions)."""

from __future__ import annotations

import torch
from torch import Tensor


def distillation_loss(student: Tensor, teacher: Tensor, temperature: float) -> Tensor:
    """Soft cross-entropy between tempered softmaxes, scaled by T^2 (Hinton et al. 2015).

    ``student`` may have more units than ``teacher`` (classes added since): those get target 0.
    """
    p_teacher = torch.softmax(teacher / temperature, 1)
    log_q = torch.log_softmax(student / temperature, 1)[:, : teacher.shape[1]]
    return -(p_teacher * log_q).sum(1).mean() * temperature**2
