"""HNET's output regulariser, sum_t ||h(e_t; Θ') - h(e_t; Θ*)||^2 over previous tasks t.

Two implementations of the same sum, both one batched hypernetwork evaluation for all previous
tasks (no Python loop over tasks or chunks):

``reference_penalty``
    Generates every previous task's full weight vector and subtracts the stored targets. Its cost
    grows as (previous tasks) x (target size) x (feature dim): every task pays the large output layer.

``gram_penalty`` (default)
    Exact rewrite that touches the large output layer a constant number of times per step. With
    output layer A (rows = one chunk's weights), bias b, hidden features φ of every (task, chunk)
    pair n, snapshot quantities marked *, M = [A' - A* | b' - b*], z = [φ; 1] and δ = φ' - φ*, the
    residual of pair n is r_n = M z*_n + A' δ_n, so over all pairs

        sum ||r||^2 = <MᵀM, S*> + 2 <MᵀM[:, :F] + MᵀA*, P> + <(MᵀM)[:F, :F] + 2 (MᵀA*)[:F] + A*ᵀA*, Δᵀ Δ>

    with S* = Z*ᵀ Z* (fixed during a task: computed once, with A*ᵀA*, in the snapshot),
    P = Z*ᵀ Δ and Δᵀ Δ. Per step that is two products over the N = tasks x chunks pairs
    (P, ΔᵀΔ) and two in the backward pass (ΔᵀΔ's is written by hand: one product, not
    autograd's two), plus the (F+1)^2 Gram blocks MᵀM and MᵀA* of the output layer: no product
    with the large matrices grows with the number of tasks. Everything is expanded in the
    *differences* M and δ, never as ||x||^2 - 2 x.y + ||y||^2, which would cancel catastrophically in
    float32 because h' and h* are nearly equal by design; the blocks are contracted in float64.
    The last chunk uses only the first ``last_chunk_rows`` rows of A: its rows beyond are
    subtracted directly (one small product over the previous tasks).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from hnet.nets.hypernet import HyperNetwork, Params


def reference_penalty(hnet: HyperNetwork, params: Params, embs: Tensor, targets: Tensor) -> Tensor:
    """``sum_k ||h(embs[k]; params) - targets[k]||^2`` in one batched call."""
    return (hnet(embs, params) - targets).pow(2).sum()


class _SelfGram(torch.autograd.Function):
    """xᵀx whose backward is the single product x (G + Gᵀ) (autograd's matmul backward takes two).
    ``generate_vmap_rule``: it runs under ``vmap`` for packed seeds."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x: Tensor) -> Tensor:
        return x.mT @ x

    @staticmethod
    def setup_context(ctx, inputs, output) -> None:
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return x @ (grad + grad.mT)


def self_gram(x: Tensor) -> Tensor:
    """``x.mT @ x`` with a one-product backward."""
    return _SelfGram.apply(x)


def feature_gram(features: Tensor) -> Tensor:
    """S = Σ_n [φ_n; 1][φ_n; 1]ᵀ over every (task, chunk) pair of ``features`` ``(K, J, F)``, float64."""
    flat = features.reshape(-1, features.shape[-1]).to(torch.float64)
    sums = flat.sum(0)
    count = torch.full((1,), flat.shape[0], dtype=flat.dtype, device=flat.device)
    return torch.cat([torch.cat([flat.mT @ flat, sums[:, None]], 1), torch.cat([sums, count])[None]], 0)


@dataclass
class Snapshot:
    """What the Gram form needs from Θ*, the hypernetwork before the current task began."""

    out_weight: Tensor  # A*  (chunk_size, F)
    out_bias: Tensor  # b*  (chunk_size,)
    features: Tensor  # φ*  (previous tasks, n_chunks, F)
    feature_gram: Tensor  # S* = Z*ᵀ Z*, (F+1, F+1) float64, over all previous tasks
    weight_gram: Tensor  # A*ᵀ A*, (F, F)

    @classmethod
    @torch.no_grad()
    def take(cls, hnet: HyperNetwork, embs: Tensor) -> "Snapshot":
        return cls.take_from(hnet, dict(hnet.named_parameters()), embs)

    @classmethod
    @torch.no_grad()
    def take_from(cls, hnet: HyperNetwork, params: Params, embs: Tensor) -> "Snapshot":
        """The snapshot of ``hnet`` with parameters ``params`` (e.g. one seed's of packed seeds)."""
        a = params["out.weight"].detach().clone()
        features = hnet.features(embs, params).detach()
        return cls(out_weight=a, out_bias=params["out.bias"].detach().clone(), features=features,
                   feature_gram=feature_gram(features), weight_gram=a.T @ a)

    def as_tuple(self) -> tuple[Tensor, ...]:
        return (self.out_weight, self.out_bias, self.features, self.feature_gram, self.weight_gram)


def gram_penalty(
    hnet: HyperNetwork, params: Params, embs: Tensor, snap: Snapshot, index: Tensor | None = None
) -> Tensor:
    """Same value and gradients as ``reference_penalty`` with targets ``h(embs; Θ*)``.

    ``index`` selects which previous tasks (rows of ``embs`` / ``snap.features``) to include.
    """
    phi_old = snap.features if index is None else snap.features[index]
    s_old = snap.feature_gram if index is None else feature_gram(phi_old)
    phi_new = hnet.features(embs, params)
    f = phi_new.shape[-1]
    delta = phi_new - phi_old
    flat_delta = delta.reshape(-1, f)
    a_old = snap.out_weight
    m_new = torch.cat([params["out.weight"] - a_old, (params["out.bias"] - snap.out_bias)[:, None]], 1)
    d = torch.float64
    g11, g12 = self_gram(m_new).to(d), (m_new.mT @ a_old).to(d)  # (F+1, F+1), (F+1, F)
    # P = Z*ᵀ Δ: the ones row of Z* gives the column sums of Δ.
    p = torch.cat([phi_old.reshape(-1, f).mT @ flat_delta, flat_delta.sum(0, keepdim=True)], 0).to(d)
    s22 = self_gram(flat_delta).to(d)
    total = ((g11 * s_old).sum() + 2 * ((g11[:, :f] + g12) * p).sum()
             + ((g11[:f, :f] + 2 * g12[:f] + snap.weight_gram.to(d)) * s22).sum())
    rows = hnet.last_chunk_rows
    if rows < hnet.chunk_size:  # the last chunk's rows that are cut off are no target weights
        m_cut = m_new[rows:]
        r = phi_new[:, -1] @ m_cut[:, :f].mT + m_cut[:, f] + delta[:, -1] @ a_old[rows:].mT
        total = total - r.to(d).pow(2).sum()
    return total.to(phi_new.dtype)
