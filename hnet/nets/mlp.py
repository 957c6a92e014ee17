"""A fully connected target network (``TargetNet``) whose weights are passed in at call time.

Besides one network's weights (flat ``(P,)`` or a list in ``param_shapes`` order) it accepts a
batch of flat weight vectors ``(K, P)``: K networks applied to the same ``(B, in)`` input or to
per-network inputs ``(K, B, in)`` as batched matrix products (no Python loop over K).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from hnet.nets.base import TargetNet

_ACTIVATIONS = {
    "relu": torch.relu,
    "elu": F.elu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "linear": lambda x: x,
}
ACTIVATIONS = tuple(_ACTIVATIONS)


def activation(name: str):
    try:
        return _ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; valid: {sorted(_ACTIVATIONS)}") from None


class MLP(TargetNet):
    """``in_dim -> hidden... -> out_dim`` with the activation after every hidden layer."""

    batched_weights = True

    def __init__(self, in_dim: int, hidden: Sequence[int], out_dim: int, act: str = "relu"):
        self.in_dim, self.hidden, self.out_dim = in_dim, list(hidden), out_dim
        self.input_shape = (in_dim,)
        self.act_name = act
        self.act = activation(act)
        sizes = [in_dim, *self.hidden, out_dim]
        self.param_shapes: list[tuple[int, ...]] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            self.param_shapes += [(fan_out, fan_in), (fan_out,)]

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

    def forward(self, x: Tensor, weights: Tensor | Sequence[Tensor], state=None, train: bool = False) -> Tensor:
        """``x``: ``(B, in)``; flat weights ``(P,)`` give ``(B, out)``, batched ``(K, P)`` give ``(K, B, out)``."""
        if isinstance(weights, Tensor):
            weights = self.split(weights)
        h = x
        n_layers = len(weights) // 2
        batched = weights[0].dim() == 3
        for i in range(n_layers):
            w, b = weights[2 * i], weights[2 * i + 1]
            if batched:
                h = torch.baddbmm(
                    b.unsqueeze(1), h.expand(w.shape[0], *h.shape[-2:]) if h.dim() == 2 else h, w.transpose(1, 2)
                )
            else:
                h = F.linear(h, w, b)
            if i < n_layers - 1:
                h = self.act(h)
        return h
