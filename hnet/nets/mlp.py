"""A fully connected target network whose weights are passed in at call time.

The network owns no parameters: a hypernetwork generates them (HNET), or a baseline keeps them as
its own ``nn.Parameter`` list. ``forward`` accepts a flat vector (``(P,)``), a batch of flat vectors
(``(K, P)``, one network per row, applied to the same or to per-network inputs), or a list of
tensors in ``param_shapes`` order. Other architectures (ResNet-32, ZenkeNet) implement the same
three members: ``param_shapes``, ``num_params`` and ``forward(x, weights)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

_ACTIVATIONS = {
    "relu": torch.relu,
    "elu": F.elu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "linear": lambda x: x,
}


def activation(name: str):
    try:
        return _ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; valid: {sorted(_ACTIVATIONS)}") from None


class MLP:
    """``in_dim -> hidden... -> out_dim`` with the activation after every hidden layer."""

    def __init__(self, in_dim: int, hidden: Sequence[int], out_dim: int, act: str = "relu"):
        self.in_dim, self.hidden, self.out_dim = in_dim, list(hidden), out_dim
        self.act_name = act
        self.act = activation(act)
        sizes = [in_dim, *self.hidden, out_dim]
        self.param_shapes: list[tuple[int, ...]] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            self.param_shapes += [(fan_out, fan_in), (fan_out,)]
        self.num_params = sum(math.prod(s) for s in self.param_shapes)

    def split(self, flat: Tensor) -> list[Tensor]:
        """Views of a flat weight vector ``(..., P)`` in ``param_shapes`` order."""
        out, offset = [], 0
        lead = flat.shape[:-1]
        for shape in self.param_shapes:
            n = math.prod(shape)
            out.append(flat[..., offset : offset + n].reshape(*lead, *shape))
            offset += n
        return out

    def init_params(self) -> list[Tensor]:
        """PyTorch's ``nn.Linear`` default initialisation (as in van de Ven & Tolias' code)."""
        params = []
        for shape in self.param_shapes:
            if len(shape) == 2:
                w = torch.empty(shape)
                torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
                params.append(w)
                bound = 1.0 / math.sqrt(shape[1])
            else:
                params.append(torch.empty(shape).uniform_(-bound, bound))
        return params

    def forward(self, x: Tensor, weights: Tensor | Sequence[Tensor]) -> Tensor:
        """``x``: ``(B, in)``; flat weights ``(P,)`` give ``(B, out)``.

        Batched weights ``(K, P)`` give ``(K, B, out)``: K networks on the same ``(B, in)`` input or on
        per-network inputs ``(K, B, in)``, as batched matrix products (no Python loop over K).
        """
        if isinstance(weights, Tensor):
            weights = self.split(weights)
        h = x
        n_layers = len(weights) // 2
        batched = weights[0].dim() == 3
        for i in range(n_layers):
            w, b = weights[2 * i], weights[2 * i + 1]
            if batched:
                h = torch.baddbmm(b.unsqueeze(1), h.expand(w.shape[0], *h.shape[-2:]) if h.dim() == 2 else h,
                                  w.transpose(1, 2))
            else:
                h = F.linear(h, w, b)
            if i < n_layers - 1:
                h = self.act(h)
        return h

    __call__ = forward
