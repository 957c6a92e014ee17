"""ResNet-32 for CIFAR (He et al. 2016, 6n+2 layers with n=5, 16/32/64 channels) as a ``TargetNet``.

As the authors' ``mnets/resnet.py``: every convolution has a bias and is followed by batch norm,
shortcuts are identities, and where the resolution halves the shortcut is the input subsampled by 2
and zero-padded in channels (option A, no weights); global average pooling and one linear layer.
Weights are ordered as there: the scale and shift of every batch-norm layer, then (weight, bias) of
every convolution and of the output layer, so a hypernetwork generates all of them.

Batch-norm running statistics are not weights: ``init_state()`` returns a fresh set (mean 0,
variance 1 per layer) and ``forward`` uses the set it is given (momentum 0.1, eps 1e-5), updating
it in place when ``train`` is true. A method keeps one set per task or one shared set.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from hnet.nets.base import TargetNet

BN_MOMENTUM, BN_EPS = 0.1, 1e-5


class ResNet(TargetNet):
    def __init__(
        self,
        n_outputs: int,
        n: int = 5,
        channels: Sequence[int] = (16, 32, 64),
        input_shape: tuple[int, ...] = (3, 32, 32),
    ):
        self.n, self.channels, self.out_dim = n, tuple(channels), n_outputs
        self.input_shape = tuple(input_shape)
        # (in, out, stride) of every convolution, in order
        self.convs = [(self.input_shape[0], channels[0], 1)]
        for stage, width in enumerate(channels):
            for block in range(n):
                first = self.convs[-1][1]
                stride = 2 if stage > 0 and block == 0 else 1
                self.convs += [(first, width, stride), (width, width, 1)]
        bn = [[(c,), (c,)] for _, c, _ in self.convs]
        layers = [[(o, i, 3, 3), (o,)] for i, o, _ in self.convs] + [[(n_outputs, channels[-1]), (n_outputs,)]]
        self.n_bn = len(bn)
        self.param_shapes = [s for pair in bn + layers for s in pair]

    def init_params(self) -> list[Tensor]:
        """Xavier-uniform weights, zero biases, batch-norm scale 1 and shift 0 (the authors'
        ``--custom_network_init``)."""
        params = []
        for i, shape in enumerate(self.param_shapes):
            if i < 2 * self.n_bn:
                params.append(torch.ones(shape) if i % 2 == 0 else torch.zeros(shape))
            elif len(shape) > 1:
                params.append(torch.nn.init.xavier_uniform_(torch.empty(shape)))
            else:
                params.append(torch.zeros(shape))
        return params

    def init_state(self) -> list[Tensor]:
        return [t for _, c, _ in self.convs for t in (torch.zeros(c), torch.ones(c))]

    def forward(self, x: Tensor, weights, state: list[Tensor] | None = None, train: bool = False) -> Tensor:
        w = self.split(weights) if isinstance(weights, Tensor) else list(weights)
        bn, layers = w[: 2 * self.n_bn], w[2 * self.n_bn :]
        if state is not None and len(state) != 2 * self.n_bn:
            raise ValueError(f"ResNet: expected {2 * self.n_bn} running-statistics tensors, got {len(state)}")

        def conv(h: Tensor, k: int, shortcut: Tensor | None = None) -> Tensor:
            stride = self.convs[k][2]
            h = F.conv2d(h, layers[2 * k], layers[2 * k + 1], stride=stride, padding=1)
            mean, var = (state[2 * k], state[2 * k + 1]) if state is not None else (None, None)
            h = F.batch_norm(
                h,
                mean,
                var,
                bn[2 * k],
                bn[2 * k + 1],
                training=train or state is None,
                momentum=BN_MOMENTUM,
                eps=BN_EPS,
            )
            if shortcut is not None:
                h = h + shortcut
            return F.relu(h)

        h = conv(x, 0)
        k = 1
        for _stage in range(len(self.channels)):
            for _block in range(self.n):
                out_c, stride = self.convs[k][1], self.convs[k][2]
                if stride == 1 and h.shape[1] == out_c:
                    shortcut = h
                else:
                    pad = (out_c - h.shape[1]) // 2
                    shortcut = F.pad(h[:, :, ::2, ::2], (0, 0, 0, 0, pad, out_c - h.shape[1] - pad))
                h = conv(h, k)
                h = conv(h, k + 1, shortcut)
                k += 2
        h = F.adaptive_avg_pool2d(h, 1).flatten(1)
        return F.linear(h, layers[-2], layers[-1])
