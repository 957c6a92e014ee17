"""The step an Adam optimizer *would* take with the gradients it currently holds.

HNET evaluates its output regulariser at Θ_h + ΔΘ_h, where ΔΘ_h is the optimizer's step from the
task loss alone (von Oswald et al. 2020, eq. 2). The step is simulated from the optimizer's state
without changing it and returned detached. Two forms of Adam's step differ in where ε enters:

- ``corrected``: ε added to the bias-corrected root, m̂ / (sqrt(v̂) + ε), which is what
  ``torch.optim.Adam`` computes today (the lookahead then equals the optimizer's actual step);
- ``uncorrected``: ε added to the raw root with the bias corrections folded into the step size,
  lr sqrt(1 - β2^t) / (1 - β1^t) * m / (sqrt(v) + ε) (Kingma & Ba's "efficient" form; the authors'
  code, hypercl ``utils/optim_step.py`` ``adam_step``, as torch.optim.Adam computed it when the
  paper was written). Early in a task the effective ε is ε / sqrt(1 - β2^t), 32x larger at the first
  step, which damps the lookahead of parameters whose task gradient is tiny.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

EPS_FORMS = ("corrected", "uncorrected")


@torch.no_grad()
def adam_step_delta(optimizer: torch.optim.Adam, eps_form: str = "corrected") -> dict[Tensor, Tensor]:
    """``{param: Δparam}`` for every parameter with a gradient (``corrected``: exactly ``optimizer.step()``'s)."""
    if eps_form not in EPS_FORMS:
        raise ValueError(f"unknown eps_form {eps_form!r}; valid: {list(EPS_FORMS)}")
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
            if eps_form == "corrected":
                denom = (v.sqrt_() / bias_correction2_sqrt).add_(eps)
                deltas[p] = m.div_(denom).mul_(-lr / bias_correction1)
            else:
                denom = v.sqrt_().add_(eps)
                deltas[p] = m.div_(denom).mul_(-lr * bias_correction2_sqrt / bias_correction1)
    return deltas
