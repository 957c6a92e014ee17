"""Diagonal Fisher information of a target network, as used by EWC and online EWC.

Definition (``fisher_labels``), per training sample and restricted to its active output units in
the scenario, computed exactly per sample (not from batch gradients, not with the empirical labels):

- ``predicted`` (default; van de Ven & Tolias' code at f0b1461, which produced their 2019 tables:
  ``continual_learner.py`` ``estimate_fisher`` with ``emp_FI`` false takes the model's most likely
  label): F = 1/N sum_n (d/dθ log p(ĉ_n | x_n))^2 with ĉ_n = argmax_c p(c | x_n);
- ``expected`` (their later code's ``fisher_labels='all'``): the expectation over the model's own
  predictive distribution, F = 1/N sum_n sum_c p(c | x_n) (d/dθ log p(c | x_n))^2. For a confident
  two-class head the two differ by about p / (1 - p) per sample: on SplitMNIST, a factor 10^3 and
  more, so the same lambda is a much stronger penalty with ``expected``.

For
regression the likelihood is Gaussian with unit variance and the expectation over outputs is
estimated with one sampled output per input, y ~ N(f(x), 1), since the gradient at the most
likely output is zero.

For an MLP the per-sample gradients are never materialised: a linear layer's gradient for one
(sample, class) row is the outer product of the gradient at its output, delta, and its input, a,
so the weighted sum of squares is (w * delta^2)^T a^2 - one matrix product per layer instead of
rows x parameters numbers written to memory (equal to the generic per-sample path in float64,
tests/test_baselines.py). Other networks take the generic path (``torch.func`` per-sample grads).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.func import grad, vmap

from hnet.benchmarks import Scenario
from hnet.core import Setting
from hnet.nets import MLP

SETTINGS = {
    "fisher_samples": Setting(
        None,
        "Fisher on this many training samples of the task (a fixed random subset); "
        "null: on all of them, as van de Ven & Tolias' code does",
        type="int",
        constraint="positive",
    ),
    "fisher_labels": Setting(
        "predicted",
        "the labels the Fisher's log-likelihood gradients are taken at: predicted (the model's most "
        "likely label, as van de Ven & Tolias' code f0b1461 continual_learner.py estimate_fisher, "
        "whose lambdas the presets use) or expected (the expectation over the model's predictive "
        "distribution, their later fisher_labels='all')",
        ("predicted", "expected"),
    ),
}


def mlp_sq_grad_sums(mlp, params: list[Tensor], x: Tensor, out_grad: Tensor, weight: Tensor) -> list[Tensor]:
    """sum_r weight_r * (gradient of out_grad_r . f(x_r) w.r.t. each MLP parameter)^2, by layers."""
    inputs, pre = [], []
    h = x
    n_layers = len(params) // 2
    with torch.enable_grad():
        for i in range(n_layers):
            inputs.append(h)
            z = F.linear(h, params[2 * i], params[2 * i + 1])
            if i == 0:  # the graph starts here: the gradients wanted are w.r.t. the pre-activations
                z = z.detach().requires_grad_()
            pre.append(z)
            h = mlp.act(z) if i < n_layers - 1 else z
        deltas = torch.autograd.grad((h * out_grad).sum(), pre)
    out = []
    for a, d in zip(inputs, deltas):
        wd2 = weight[:, None] * d.pow(2)
        out += [wd2.T @ a.detach().pow(2), wd2.sum(0)]
    return out


def diagonal_fisher(
    forward: Callable[[Tensor, list[Tensor]], Tensor],
    params: list[Tensor],
    scenario: Scenario,
    batches,
    seen: int,
    max_rows: int | None = None,
    mlp=None,
    labels: str = "expected",
) -> list[Tensor]:
    """``forward(x, params)`` is the network in evaluation mode (running statistics, no dropout);
    ``batches`` yields ``(x, y, task_ids)``; returns one tensor per parameter tensor. ``mlp``: the
    network when it is an ``MLP`` and ``params`` are its weights (the fast path); ``labels``: see
    the module's docstring (``fisher_labels``)."""
    params = [p.detach() for p in params]
    numel = sum(p.numel() for p in params)
    # Per-sample gradients cost rows x numel floats; keep that under ~64M floats per chunk.
    chunk = max(1, min(max_rows or 1 << 30, (64 << 20) // max(numel, 1)))
    fisher = [torch.zeros_like(p) for p in params]
    n_samples = 0

    def log_lik(ps, x1, unit, mask1, eps1):
        out = forward(x1[None], ps)[0]
        if scenario.regression:
            # gradient of log N(y | f, 1) at y = f + eps is eps * df/dθ
            return eps1 * out.gather(0, unit[None])[0]
        return torch.log_softmax(out.masked_fill(~mask1, float("-inf")), 0).gather(0, unit[None])[0]

    per_sample = vmap(grad(log_lik), in_dims=(None, 0, 0, 0, 0))
    for x, y, tids in batches:
        mask, _ = scenario.mask_and_target(tids, y, seen)
        n_samples += len(x)
        with torch.no_grad():
            out = forward(x, params)
        if scenario.regression:
            # d/dθ log N(y | f, 1) = (y - f) df/dθ with y - f = ε ~ N(0, 1): weight 1 per sample.
            units = mask.float().argmax(1)
            eps = torch.randn(len(x), device=x.device, dtype=x.dtype)
            rows = [(x, units, mask, eps, torch.ones(len(x), device=x.device, dtype=x.dtype))]
        elif labels == "predicted":
            units = out.masked_fill(~mask, float("-inf")).argmax(1)  # one row per sample, weight 1
            ones = torch.ones(len(x), device=x.device, dtype=x.dtype)
            rows = [(x, units, mask, torch.zeros(len(x), device=x.device), ones)]
        else:
            probs = torch.softmax(out.masked_fill(~mask, float("-inf")), 1)
            n_idx, units = mask.nonzero(as_tuple=True)  # every (sample, active class) pair
            rows = [(x[n_idx], units, mask[n_idx], torch.zeros(len(n_idx), device=x.device), probs[n_idx, units])]
        for xs, us, ms, es, ws in rows:
            if mlp is not None:
                for s in range(0, len(xs), 4096):
                    sl = slice(s, s + 4096)
                    o = forward(xs[sl], params)
                    unit = F.one_hot(us[sl], o.shape[1]).to(o.dtype)
                    if scenario.regression:
                        g = es[sl, None] * unit
                    else:
                        g = unit - torch.softmax(o.masked_fill(~ms[sl], float("-inf")), 1)
                    for f, t in zip(fisher, mlp_sq_grad_sums(mlp, params, xs[sl], g, ws[sl])):
                        f += t
                continue
            for s in range(0, len(xs), chunk):
                sl = slice(s, s + chunk)
                grads = per_sample(params, xs[sl], us[sl], ms[sl], es[sl])
                for f, g in zip(fisher, grads):
                    f += torch.einsum("n,n...->...", ws[sl], g.pow(2))
    return [f / max(n_samples, 1) for f in fisher]


def task_fisher(method, data, seen: int, limit: int | None) -> list[Tensor]:
    """The diagonal Fisher of ``method``'s network on a phase's data. With packed seeds (the data
    has ``per_seed`` phases and the weights a leading seed dimension) each seed's Fisher is computed
    on its own data, with its own random stream, exactly as an unpacked run would."""
    mlp = method.net if isinstance(method.net, MLP) else None
    labels = method.cfg["fisher_labels"]
    if method.streams is None:
        return diagonal_fisher(
            method.forward, method.params, method.scenario, data.iterate(256, limit), seen, mlp=mlp, labels=labels
        )
    parts = []
    for k, seed_data in enumerate(data.per_seed):
        with method.streams.use(k):
            weights = [p[k] for p in method.params]
            parts.append(
                diagonal_fisher(
                    method.forward,
                    weights,
                    method.scenario,
                    seed_data.iterate(256, limit),
                    seen,
                    mlp=mlp,
                    labels=labels,
                )
            )
    return [torch.stack(f) for f in zip(*parts)]
