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
    The last chunk uses only the first m = ``last_chunk_rows`` rows of A, so the sum is taken in two
    row blocks: rows [:m] over every pair, rows [m:] over every pair but the last chunk's. The
    hidden features of the last chunk are computed apart from the others, so the feature products of
    both blocks come from the same two products (plus tiny ones over the previous tasks' last chunk)
    and nothing of size N is sliced or copied.
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


def has_cut(hnet: HyperNetwork) -> bool:
    """Whether the last chunk leaves rows of the output layer unused."""
    return hnet.last_chunk_rows < hnet.chunk_size


def chunk_groups(hnet: HyperNetwork) -> tuple[slice, slice]:
    """The chunks that use every row of the output layer, and the last one if it does not."""
    j = hnet.n_chunks
    return (slice(0, j - 1), slice(j - 1, j)) if has_cut(hnet) else (slice(0, j), slice(j, j))


@dataclass
class Snapshot:
    """What the Gram form needs from Θ*, the hypernetwork before the current task began. "Full"
    chunks use every row of the output layer; the "last" chunk only the first m rows (empty when
    it uses all of them)."""

    out_weight: Tensor  # A*  (chunk_size, F)
    out_bias: Tensor  # b*  (chunk_size,)
    features: Tensor  # φ* of the full chunks (previous tasks, full chunks, F)
    last_features: Tensor  # φ* of the last chunk (previous tasks, 0 or 1, F)
    feature_gram: Tensor  # S* = Z*ᵀ Z* over the full chunks, (F+1, F+1) float64
    last_feature_gram: Tensor  # S* over the last chunk
    top_gram: Tensor  # A*[:m]ᵀ A*[:m], (F, F)
    bottom_gram: Tensor  # A*[m:]ᵀ A*[m:]

    @classmethod
    @torch.no_grad()
    def take(cls, hnet: HyperNetwork, embs: Tensor) -> Snapshot:
        return cls.take_from(hnet, dict(hnet.named_parameters()), embs)

    @classmethod
    @torch.no_grad()
    def take_from(cls, hnet: HyperNetwork, params: Params, embs: Tensor) -> Snapshot:
        """The snapshot of ``hnet`` with parameters ``params`` (e.g. one seed's of packed seeds)."""
        a = params["out.weight"].detach().clone()
        m = hnet.last_chunk_rows
        full, last = (hnet.features(embs, params, group).detach() for group in chunk_groups(hnet))
        return cls(
            out_weight=a,
            out_bias=params["out.bias"].detach().clone(),
            features=full,
            last_features=last,
            feature_gram=feature_gram(full),
            last_feature_gram=feature_gram(last),
            top_gram=a[:m].T @ a[:m],
            bottom_gram=a[m:].T @ a[m:],
        )

    def as_tuple(self) -> tuple[Tensor, ...]:
        return (
            self.out_weight,
            self.out_bias,
            self.features,
            self.last_features,
            self.feature_gram,
            self.last_feature_gram,
            self.top_gram,
            self.bottom_gram,
        )


def _feature_products(phi_new: Tensor, phi_old: Tensor) -> tuple[Tensor, Tensor]:
    """P = Z*ᵀ Δ and Δᵀ Δ (float64) over the (task, chunk) pairs of ``phi_new`` ``(K, J, F)``."""
    f = phi_new.shape[-1]
    delta = (phi_new - phi_old).reshape(-1, f)
    p = torch.cat([phi_old.reshape(-1, f).mT @ delta, delta.sum(0, keepdim=True)], 0)
    return p.to(torch.float64), self_gram(delta).to(torch.float64)


def _block(m_new: Tensor, a_old: Tensor, a_gram: Tensor, s_old: Tensor, p: Tensor, s22: Tensor) -> Tensor:
    """sum over the pairs of ||M z*_n + A' δ_n||^2 for the rows of this block (module docstring)."""
    f = a_old.shape[1]
    d = torch.float64
    g11, g12 = self_gram(m_new).to(d), (m_new.mT @ a_old).to(d)
    return (
        (g11 * s_old).sum()
        + 2 * ((g11[:, :f] + g12) * p).sum()
        + ((g11[:f, :f] + 2 * g12[:f] + a_gram.to(d)) * s22).sum()
    )


def gram_penalty(
    hnet: HyperNetwork, params: Params, embs: Tensor, snap: Snapshot, index: Tensor | None = None
) -> Tensor:
    """Same value and gradients as ``reference_penalty`` with targets ``h(embs; Θ*)``.

    ``index`` selects which previous tasks (rows of ``embs`` / the snapshot's features) to include.
    """
    old_full = snap.features if index is None else snap.features[index]
    old_last = snap.last_features if index is None else snap.last_features[index]
    s_full = snap.feature_gram if index is None else feature_gram(old_full)
    s_last = snap.last_feature_gram if index is None else feature_gram(old_last)
    full_chunks, last_chunk = chunk_groups(hnet)
    new_full = hnet.features(embs, params, full_chunks)
    p_full, s22_full = _feature_products(new_full, old_full)
    a_old = snap.out_weight
    m_new = torch.cat([params["out.weight"] - a_old, (params["out.bias"] - snap.out_bias)[:, None]], 1)
    if not has_cut(hnet):
        return _block(m_new, a_old, snap.top_gram, s_full, p_full, s22_full).to(new_full.dtype)
    p_last, s22_last = _feature_products(hnet.features(embs, params, last_chunk), old_last)
    rows = hnet.last_chunk_rows
    m_top, m_bottom = torch.split(m_new, [rows, hnet.chunk_size - rows])  # split: its backward is one cat
    total = _block(m_top, a_old[:rows], snap.top_gram, s_full + s_last, p_full + p_last, s22_full + s22_last) + _block(
        m_bottom, a_old[rows:], snap.bottom_gram, s_full, p_full, s22_full
    )
    return total.to(new_full.dtype)
