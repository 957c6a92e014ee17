"""Networks called with external weights (``TargetNet``), hypernetworks, and the target-network
registry that ``build_target`` dispatches on (config key ``target_net``)."""

from __future__ import annotations

from collections.abc import Callable

from hnet.nets.base import TargetNet
from hnet.nets.hypernet import HyperNetwork
from hnet.nets.mlp import ACTIVATIONS, MLP, activation


def _mlp(cfg: dict, input_shape: tuple[int, ...], n_outputs: int) -> TargetNet:
    if len(input_shape) != 1:
        raise ValueError(f"target_net 'mlp' needs flat inputs, got shape {input_shape}")
    return MLP(input_shape[0], cfg["target_hidden"], n_outputs, cfg["target_activation"])


# name -> builder(resolved config, one sample's input shape, number of outputs)
TARGET_NETS: dict[str, Callable[[dict, tuple[int, ...], int], TargetNet]] = {
    "mlp": _mlp,
}


def build_target(cfg: dict, input_shape: tuple[int, ...], n_outputs: int) -> TargetNet:
    kind = cfg.get("target_net", "mlp")
    if kind not in TARGET_NETS:
        raise ValueError(f"unknown target_net {kind!r}; valid: {sorted(TARGET_NETS)}")
    return TARGET_NETS[kind](cfg, tuple(input_shape), n_outputs)


__all__ = ["ACTIVATIONS", "MLP", "HyperNetwork", "TARGET_NETS", "TargetNet", "activation", "build_target"]
