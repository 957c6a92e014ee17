"""The step an Adam optimizer *would* take with the gradients it currently holds.

HNET evaluates its output regulariser at Θ_h + ΔΘ_h, where ΔΘ_h is the optimizer's step from the
task loss alone (von Oswald et al. 2020, eq. 2). The step is simulated from the optimizer's state
without changing it and returned detached. Two forms of Adam's step differ in where ε enters:

- ``uncorrected`` (the default of ``lookahead_eps``): ε added to the raw root with the bias
  corrections folded into the step size, lr sqrt(1 - β2^t) / (1 - β1^t) * m / (sqrt(v) + ε)
  (Kingma & Ba's "efficient" form): the authors' code (hypercl ``utils/optim_step.py`` ``adam_step``,
  also hypnettorch's ``calc_delta_theta``), and what torch.optim.Adam computed when the paper was
  written. Early in a task the effective ε is ε / sqrt(1 - β2^t), 32x larger at the first step, which
  damps the lookahead of parameters whose task gradient is tiny;
- ``corrected``: ε added to the bias-corrected root, m̂ / (sqrt(v̂) + ε), which is what
  ``torch.optim.Adam`` computes today (the lookahead then equals the optimizer's actual step).

The two differ only where sqrt(v̂) is comparable to ε, but there by up to a factor 32, and the
regulariser's gradient carries it into the hypernetwork: on the same batches, five steps a task,
the hypernetwork's output layer after the second task differs from the authors' code by 22 % of its
largest entry with ``corrected`` and by 3e-10 with ``uncorrected`` (docs/fidelity.md).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

EPS_FORMS = ("corrected", "uncorrected")


@torch.no_grad()
def adam_step_delta(optimizer: torch.optim.Adam, eps_form: str) -> dict[Tensor, Tensor]:
    """``{param: Δparam}`` for every parameter with a gradient (``corrected``: exactly ``optimizer.step()``'s).

    Multi-tensor (``torch._foreach_*``) operations over the parameters that share a step count (all
    of them, for an optimizer whose parameters always get gradients): a handful of operations per
    step instead of a handful per parameter."""
    if eps_form not in EPS_FORMS:
        raise ValueError(f"unknown eps_form {eps_form!r}; valid: {list(EPS_FORMS)}")
    deltas: dict[Tensor, Tensor] = {}
    for group in optimizer.param_groups:
        if group.get("amsgrad") or group.get("weight_decay") or group.get("maximize"):
            raise NotImplementedError("lookahead supports plain Adam (no amsgrad/weight decay/maximize)")
        by_step: dict[tuple[float, bool], list[Tensor]] = {}
        for p in group["params"]:
            if p.grad is not None:
                state = optimizer.state.get(p, {})
                # The step count lives on the host unless the optimizer is capturable (CUDA graphs).
                step = float(state["step"]) + 1 if "step" in state else 1.0
                by_step.setdefault((step, "exp_avg" in state), []).append(p)
        for (step, has_state), params in by_step.items():
            deltas.update(zip(params, _deltas(optimizer, group, params, step, has_state, eps_form)))
    return deltas


def _deltas(optimizer, group, params: list[Tensor], step: float, has_state: bool, eps_form: str) -> list[Tensor]:
    beta1, beta2 = group["betas"]
    lr, eps = group["lr"], group["eps"]
    grads = [p.grad for p in params]
    if has_state:
        m = torch._foreach_lerp([optimizer.state[p]["exp_avg"] for p in params], grads, 1 - beta1)
        v = torch._foreach_mul([optimizer.state[p]["exp_avg_sq"] for p in params], beta2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - beta2)
    else:
        m = torch._foreach_mul(grads, 1 - beta1)
        v = torch._foreach_mul(grads, grads)
        torch._foreach_mul_(v, 1 - beta2)
    bias_correction1 = 1 - beta1**step
    bias_correction2_sqrt = math.sqrt(1 - beta2**step)
    torch._foreach_sqrt_(v)
    if eps_form == "corrected":
        torch._foreach_div_(v, bias_correction2_sqrt)
        torch._foreach_add_(v, eps)
        torch._foreach_div_(m, v)
        torch._foreach_mul_(m, -lr / bias_correction1)
    else:
        torch._foreach_add_(v, eps)
        torch._foreach_div_(m, v)
        torch._foreach_mul_(m, -lr * bias_correction2_sqrt / bias_correction1)
    return m
