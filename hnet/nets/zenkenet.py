"""ZenkeNet, the CIFAR network of Zenke et al. 2017 (Synaptic Intelligence), as a ``TargetNet``.

As the authors' ``mnets/zenkenet.py``: conv 32 (same padding), conv 32 (valid), max-pool, conv 64
(same), conv 64 (valid), max-pool, fully connected 512, output layer; ReLU after every hidden
layer. With ``dropout_rate`` p >= 0, channel dropout (``Dropout2d``) with p after each pooling and
dropout with 2p after the fully connected layer, while training only (p = -1: none).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from hnet.nets.base import TargetNet


class ZenkeNet(TargetNet):
    def __init__(self, n_outputs: int, dropout_rate: float = 0.25, input_shape: tuple[int, ...] = (3, 32, 32)):
        if dropout_rate != -1 and not 0 <= dropout_rate <= 0.5:
            raise ValueError(f"ZenkeNet: dropout_rate must be -1 or in [0, 0.5], got {dropout_rate}")
        self.out_dim, self.dropout_rate = n_outputs, dropout_rate
        self.input_shape = tuple(input_shape)
        c = self.input_shape[0]
        side = ((self.input_shape[1] - 2) // 2 - 2) // 2  # 32 -> 30 -> 15 -> 13 -> 6
        self.param_shapes = [
            (32, c, 3, 3),
            (32,),
            (32, 32, 3, 3),
            (32,),
            (64, 32, 3, 3),
            (64,),
            (64, 64, 3, 3),
            (64,),
            (512, 64 * side * side),
            (512,),
            (n_outputs, 512),
            (n_outputs,),
        ]

    def init_params(self) -> list[Tensor]:
        """Xavier-uniform weights and zero biases (the authors' ``--custom_network_init``)."""
        return [
            torch.nn.init.xavier_uniform_(torch.empty(s)) if len(s) > 1 else torch.zeros(s) for s in self.param_shapes
        ]

    def forward(self, x: Tensor, weights, state=None, train: bool = False) -> Tensor:
        w = self.split(weights) if isinstance(weights, Tensor) else list(weights)
        drop = train and self.dropout_rate > 0
        h = F.relu(F.conv2d(x, w[0], w[1], padding=1))
        h = F.max_pool2d(F.relu(F.conv2d(h, w[2], w[3])), 2)
        if drop:
            h = F.dropout2d(h, self.dropout_rate, training=True)
        h = F.relu(F.conv2d(h, w[4], w[5], padding=1))
        h = F.max_pool2d(F.relu(F.conv2d(h, w[6], w[7])), 2)
        if drop:
            h = F.dropout2d(h, self.dropout_rate, training=True)
        h = F.relu(F.linear(h.flatten(1), w[8], w[9]))
        if drop:
            h = F.dropout(h, 2 * self.dropout_rate, training=True)
        return F.linear(h, w[10], w[11])
