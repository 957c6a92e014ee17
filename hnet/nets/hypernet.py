"""Task-conditioned hypernetworks: full (one output per target weight) and chunked.

A chunked hypernetwork maps ``[task embedding; chunk embedding_j]`` to chunk ``j`` of the target
weights; the chunk embeddings are trainable hypernetwork parameters and the last chunk is cut to
the target size. A full hypernetwork is the special case of one chunk and no chunk embedding, so
both share one implementation and one regulariser. Initialisation (``init``): ``xavier`` as in the
authors' MNIST/CIFAR hypernetworks (Xavier-uniform weights, zero biases), or ``torch_default`` as
in their toy-regression hypernetwork (``nn.Linear``'s own: Kaiming-uniform with a = sqrt(5), biases
uniform in +-1/sqrt(fan_in)); chunk embeddings ~ N(0, 1) in both.

The forward pass is split into ``features`` (the hidden layers, cheap) and the linear output layer
(``out.weight`` is ``chunk_size x hidden[-1]``, the bulk of the parameters), because the fast
regulariser (``hnet.methods.regulariser``) works on the features and on the output layer separately.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from hnet.nets.mlp import activation

Params = dict[str, Tensor]
INITS = ("xavier", "torch_default")


class HyperNetwork(nn.Module):
    def __init__(
        self,
        target_numel: int,
        emb_dim: int,
        hidden: Sequence[int],
        act: str = "relu",
        chunk_size: int | None = None,
        chunk_emb_dim: int = 0,
        init: str = "xavier",
    ):
        super().__init__()
        if chunk_size is None or chunk_size >= target_numel:
            chunk_size, chunk_emb_dim = target_numel, 0
        self.target_numel = target_numel
        self.emb_dim, self.chunk_emb_dim = emb_dim, chunk_emb_dim
        self.chunk_size = chunk_size
        self.n_chunks = math.ceil(target_numel / chunk_size)
        self.act = activation(act)
        if init not in INITS:
            raise ValueError(f"hypernetwork init must be one of {INITS}, got {init!r}")
        self.init = init
        sizes = [emb_dim + chunk_emb_dim, *hidden]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = nn.Linear(sizes[-1], chunk_size)
        self.chunk_emb = nn.Parameter(torch.empty(self.n_chunks, chunk_emb_dim)) if chunk_emb_dim else None
        self.reset_parameters()

    @property
    def feature_dim(self) -> int:
        return self.out.in_features

    @property
    def last_chunk_rows(self) -> int:
        """How many rows of the output layer the last chunk uses (the rest is cut off)."""
        return self.target_numel - (self.n_chunks - 1) * self.chunk_size

    def reset_parameters(self) -> None:
        for layer in [*self.hidden, self.out]:
            if self.init == "torch_default":
                layer.reset_parameters()
            else:
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)
        if self.chunk_emb is not None:
            nn.init.normal_(self.chunk_emb)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def params(self) -> Params:
        return dict(self.named_parameters())

    def features(self, emb: Tensor, params: Params | None = None, chunks: slice | None = None) -> Tensor:
        """Hidden features ``(K, n, feature_dim)`` for task embeddings ``emb`` ``(K, emb_dim)``: of all
        ``n_chunks`` chunks, or of the ``n`` chunks selected by ``chunks``."""
        p = self.params() if params is None else params
        k = emb.shape[0]
        n = self.n_chunks if chunks is None else len(range(self.n_chunks)[chunks])
        chunk_emb = None if self.chunk_emb is None else p["chunk_emb"] if chunks is None else p["chunk_emb"][chunks]
        if not self.hidden:
            parts = [emb.unsqueeze(1).expand(k, n, self.emb_dim)]
            if chunk_emb is not None:
                parts.append(chunk_emb.unsqueeze(0).expand(k, -1, -1))
            return torch.cat(parts, -1)
        # The first layer is linear in [e_t; c_j] = W_e e_t + W_c c_j: K + J small products instead
        # of K * J, which matters when the regulariser evaluates many previous tasks at once.
        w, b = p["hidden.0.weight"], p["hidden.0.bias"]
        pre = (emb @ w[:, : self.emb_dim].T + b).unsqueeze(1)
        if chunk_emb is not None:
            pre = pre + (chunk_emb @ w[:, self.emb_dim :].T).unsqueeze(0)
        h = self.act(pre.expand(k, n, -1))
        for i in range(1, len(self.hidden)):
            h = self.act(torch.nn.functional.linear(h, p[f"hidden.{i}.weight"], p[f"hidden.{i}.bias"]))
        return h

    def output(self, features: Tensor, params: Params | None = None) -> Tensor:
        """Flat target weights ``(K, target_numel)`` from ``features`` ``(K, n_chunks, feature_dim)``."""
        p = self.params() if params is None else params
        chunks = torch.nn.functional.linear(features, p["out.weight"], p["out.bias"]).reshape(features.shape[0], -1)
        if chunks.shape[1] == self.target_numel:
            return chunks
        # split, not a slice: the backward does not fill a zero vector of the full size
        return torch.split(chunks, [self.target_numel, chunks.shape[1] - self.target_numel], dim=1)[0]

    def forward(self, emb: Tensor, params: Params | None = None) -> Tensor:
        """Target weights for a batch of embeddings, ``(K, emb_dim) -> (K, target_numel)``."""
        return self.output(self.features(emb, params), params)
