"""The step an Adam optimizer *would* take with the gradients it currently holds.

HNET evaluates its output regulariser at Θ_h + ΔΘ_h, where ΔΘ_h is the optimizer's step from the
task loss alone (von Oswald et al. 2020, eq. 2). The step is simulated from the optimizer's state
without changing it, with torch.optim.Adam's exact arithmetic, and returned detached.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


@torch.no_grad()
def adam_step_delta(optimizer: torch.optim.Adam) -> dict[Tensor, Tensor]:
    """``{param: Δparam}`` for every parameter with a gradient; Δ is what ``optimizer.step()`` adds."""
    deltas: dict[Tensor, Tensor] = {}
    for group in optimizer.param_groups:
        if group.get("amsgrad") or group.get("weight_decay") or group.get("maximize"):
            raise NotImplementedError("lookahead supports plain Adam (no amsgrad/weight decay/maximize)")
        beta1, beta2 = group["betas"]
        lr, eps = group["lr"], group["eps"]
        for p in group["params"]:
            if p.grad is None:
                continue
            g = p.grad
            state = optimizer.state.get(p, {})
            step = float(state["step"]) + 1 if "step" in state else 1.0
            if "exp_avg" in state:
                m = state["exp_avg"].lerp(g, 1 - beta1)
                v = state["exp_avg_sq"].mul(beta2).addcmul_(g, g, value=1 - beta2)
            else:
                m = g.mul(1 - beta1)
                v = g.mul(g).mul_(1 - beta2)
            bias_correction1 = 1 - beta1**step
            bias_correction2_sqrt = math.sqrt(1 - beta2**step)
            denom = (v.sqrt_() / bias_correction2_sqrt).add_(eps)
            deltas[p] = m.div_(denom).mul_(-lr / bias_correction1)
    return deltas
