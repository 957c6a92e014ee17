"""The target-network interface: networks called with weights they do not own.

A target network is described by its parameter shapes and maps ``(x, weights)`` to outputs; a
hypernetwork generates the weights (HNET), or a baseline keeps them as its own tensors. The
interface follows hypnettorch's ``MainNetInterface`` in spirit:

- ``param_shapes`` / ``num_params``: the weights it expects, in order;
- ``input_shape`` / ``out_dim``: one sample's input shape and the number of outputs;
- ``init_params()``: a default initialisation for a network that owns its weights;
- ``init_state()``: fresh per-network running statistics (batch norm), ``[]`` if none; a method
  keeps one set per task or one shared set and passes it to ``forward``;
- ``forward(x, weights, state=None, train=False)``: ``weights`` is a flat vector ``(P,)``, a list
  in ``param_shapes`` order, or (where ``batched_weights`` is true) ``(K, P)`` for K networks at
  once. ``train`` switches dropout on and makes batch norm use and update batch statistics.

Networks know nothing about continual learning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor


class TargetNet:
    param_shapes: list[tuple[int, ...]]
    input_shape: tuple[int, ...]
    out_dim: int
    batched_weights: bool = False

    @property
    def num_params(self) -> int:
        return sum(math.prod(s) for s in self.param_shapes)

    def split(self, flat: Tensor) -> list[Tensor]:
        """Views of a flat weight vector ``(..., P)`` in ``param_shapes`` order. ``torch.split``, not
        slicing: its backward is one concatenation, where every slice's would fill a zero vector of
        size P (a generated target network's step paid for one per weight tensor)."""
        lead = flat.shape[:-1]
        parts = torch.split(flat, [math.prod(shape) for shape in self.param_shapes], dim=-1)
        return [part.reshape(*lead, *shape) for part, shape in zip(parts, self.param_shapes)]

    def init_params(self) -> list[Tensor]:
        raise NotImplementedError

    def init_state(self) -> list[Tensor]:
        return []

    def forward(
        self, x: Tensor, weights: Tensor | Sequence[Tensor], state: list[Tensor] | None = None, train: bool = False
    ) -> Tensor:
        raise NotImplementedError

    def __call__(self, x, weights, state=None, train=False) -> Tensor:
        return self.forward(x, weights, state, train)
