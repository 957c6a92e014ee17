"""Diagonal Fisher information of a target network, as used by EWC and online EWC.

Definition (van de Ven & Tolias' "true" Fisher): for each training sample, the expectation over
labels drawn from the model's own predictive distribution (restricted to the sample's active output
units in the scenario) of the squared gradient of the log-likelihood,

    F = 1/N sum_n sum_c p(c | x_n) (d/dθ log p(c | x_n))^2,

computed exactly per sample (not from batch gradients, not with the empirical labels). For
regression the likelihood is Gaussian with unit variance and the expectation over outputs is
estimated with one sampled output per input, y ~ N(f(x), 1), since the gradient at the most
likely output is zero.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor
from torch.func import grad, vmap

from hnet.benchmarks import Scenario
from hnet.core import Setting

SETTINGS = {
    "fisher_samples": Setting(None, "Fisher on this many training samples of the task (a fixed random subset); "
                                     "null: on all of them, as van de Ven & Tolias' code does"),
}


def diagonal_fisher(forward: Callable[[Tensor, list[Tensor]], Tensor], params: list[Tensor], scenario: Scenario,
                    batches, seen: int, max_rows: int | None = None) -> list[Tensor]:
    """``forward(x, params)`` is the network in evaluation mode (running statistics, no dropout);
    ``batches`` yields ``(x, y, task_ids)``; returns one tensor per parameter tensor."""
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
            eps = torch.randn(len(x), device=x.device)
            rows = [(x, units, mask, eps, torch.ones(len(x), device=x.device))]
        else:
            probs = torch.softmax(out.masked_fill(~mask, float("-inf")), 1)
            n_idx, units = mask.nonzero(as_tuple=True)  # every (sample, active class) pair
            rows = [(x[n_idx], units, mask[n_idx], torch.zeros(len(n_idx), device=x.device), probs[n_idx, units])]
        for xs, us, ms, es, ws in rows:
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
    per_seed = getattr(data, "per_seed", None)
    if per_seed is None:
        return diagonal_fisher(method.forward, method.params, method.scenario, data.iterate(256, limit), seen)
    parts = []
    for k, seed_data in enumerate(per_seed):
        with data.rng(k):
            weights = [p[k] for p in method.params]
            parts.append(diagonal_fisher(method.forward, weights, method.scenario, seed_data.iterate(256, limit), seen))
    return [torch.stack(f) for f in zip(*parts)]
