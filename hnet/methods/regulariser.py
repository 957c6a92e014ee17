"""HNET's output regulariser, sum_t ||h(e_t; Θ') - h(e_t; Θ*)||^2 over previous tasks t.

Two implementations of the same sum, both one batched hypernetwork evaluation for all previous
tasks (no Python loop over tasks or chunks):

``reference_penalty``
    Generates every previous task's full weight vector and subtracts the stored targets. Its cost
    grows as (previous tasks) x (target size) x (feature dim): every task pays the large output layer.

``gram_penalty`` (default)
    Exact rewrite that touches the large output layer a constant number of times per step. With
    output layer A (rows = one chunk's weights), bias b, hidden features φ of every (task, chunk)
    pair, snapshot quantities marked *, D = A' - A*, db = b' - b* and δφ = φ' - φ*, each chunk's
    residual is r = [D | db] [φ'; 1] + A* δφ, so

        sum ||r||^2 = <M^T M, Z1^T Z1> + 2 <M^T A*, Z1^T Z2> + <A*^T A*, Z2^T Z2>

    with M = [D | db], Z1 = [φ'; 1], Z2 = δφ stacked over all (task, chunk) pairs. The only
    products with the large matrices are the (feature_dim+1)^2 Gram blocks M^T M and M^T A* (and
    A*^T A*, computed once per task); the per-task work is on the tiny feature matrices. It is
    expanded in the *differences* D, db, δφ, never as ||x||^2 - 2 x.y + ||y||^2, which would cancel
    catastrophically in float32 because h' and h* are nearly equal by design. The last chunk uses only
    the first ``last_chunk_rows`` rows of A, so the sum is split into those rows (all chunks) and the
    remaining rows (all chunks but the last).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from hnet.nets.hypernet import HyperNetwork, Params


def reference_penalty(hnet: HyperNetwork, params: Params, embs: Tensor, targets: Tensor) -> Tensor:
    """``sum_k ||h(embs[k]; params) - targets[k]||^2`` in one batched call."""
    return (hnet(embs, params) - targets).pow(2).sum()


@dataclass
class Snapshot:
    """What the Gram form needs from Θ*, the hypernetwork before the current task began."""

    out_weight: Tensor  # A*  (chunk_size, feature_dim)
    out_bias: Tensor  # b*  (chunk_size,)
    features: Tensor  # φ*  (previous tasks, n_chunks, feature_dim)
    gram_top: Tensor  # A*[:m]^T A*[:m]
    gram_bottom: Tensor  # A*[m:]^T A*[m:]

    @classmethod
    @torch.no_grad()
    def take(cls, hnet: HyperNetwork, embs: Tensor) -> "Snapshot":
        return cls.take_from(hnet, dict(hnet.named_parameters()), embs)

    @classmethod
    @torch.no_grad()
    def take_from(cls, hnet: HyperNetwork, params: Params, embs: Tensor) -> "Snapshot":
        """The snapshot of ``hnet`` with parameters ``params`` (e.g. one seed's of packed seeds)."""
        a = params["out.weight"].detach().clone()
        m = hnet.last_chunk_rows
        return cls(
            out_weight=a,
            out_bias=params["out.bias"].detach().clone(),
            features=hnet.features(embs, params).detach(),
            gram_top=a[:m].T @ a[:m],
            gram_bottom=a[m:].T @ a[m:],
        )

    def as_tuple(self) -> tuple[Tensor, ...]:
        return (self.out_weight, self.out_bias, self.features, self.gram_top, self.gram_bottom)


def _gram_block(m_new: Tensor, a_old: Tensor, gram_old: Tensor, z1: Tensor, z2: Tensor) -> Tensor:
    """sum_n ||m_new z1_n + a_old z2_n||^2 for the rows in this block."""
    g11 = m_new.T @ m_new
    g12 = m_new.T @ a_old
    # The feature-side products are tiny; contracting in float64 keeps the sum of many
    # nearly-cancelling terms accurate at no measurable cost.
    s11, s12, s22 = z1.T @ z1, z1.T @ z2, z2.T @ z2
    d = torch.float64
    return (
        (g11.to(d) * s11.to(d)).sum()
        + 2 * (g12.to(d) * s12.to(d)).sum()
        + (gram_old.to(d) * s22.to(d)).sum()
    )


def gram_penalty(
    hnet: HyperNetwork, params: Params, embs: Tensor, snap: Snapshot, index: Tensor | None = None
) -> Tensor:
    """Same value and gradients as ``reference_penalty`` with targets ``h(embs; Θ*)``.

    ``index`` selects which previous tasks (rows of ``embs`` / ``snap.features``) to include.
    """
    phi_old = snap.features if index is None else snap.features[index]
    phi_new = hnet.features(embs, params)
    k, j, f = phi_new.shape
    ones = torch.ones(k, j, 1, dtype=phi_new.dtype, device=phi_new.device)
    z1 = torch.cat([phi_new, ones], -1)
    z2 = phi_new - phi_old
    m_new = torch.cat([params["out.weight"] - snap.out_weight, (params["out.bias"] - snap.out_bias)[:, None]], 1)
    rows = hnet.last_chunk_rows
    total = _gram_block(m_new[:rows], snap.out_weight[:rows], snap.gram_top, z1.reshape(-1, f + 1), z2.reshape(-1, f))
    if rows < hnet.chunk_size and j > 1:
        total = total + _gram_block(
            m_new[rows:], snap.out_weight[rows:], snap.gram_bottom,
            z1[:, :-1].reshape(-1, f + 1), z2[:, :-1].reshape(-1, f),
        )
    return total.to(phi_new.dtype)
