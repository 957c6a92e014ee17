"""Networks called with external weights (``TargetNet``), hypernetworks, and the target-network
registry that ``build_target`` dispatches on (config key ``target_net``)."""

from __future__ import annotations

from collections.abc import Callable

from hnet.nets.base import TargetNet
from hnet.nets.hypernet import HyperNetwork
from hnet.nets.mlp import ACTIVATIONS, MLP, activation
from hnet.nets.resnet import ResNet
from hnet.nets.zenkenet import ZenkeNet
from hnet.settings import REQUIRED, Setting


def _mlp(cfg: dict, input_shape: tuple[int, ...], n_outputs: int) -> TargetNet:
    if len(input_shape) != 1:
        raise ValueError(f"target_net 'mlp' needs flat inputs, got shape {input_shape}")
    return MLP(input_shape[0], cfg["target_hidden"], n_outputs, cfg["target_activation"])


def _image_input(name: str, input_shape: tuple[int, ...]) -> None:
    if len(input_shape) != 3:
        raise ValueError(f"target_net {name!r} needs image inputs (C, H, W), got shape {input_shape}")


def _resnet32(cfg: dict, input_shape: tuple[int, ...], n_outputs: int) -> TargetNet:
    _image_input("resnet32", input_shape)
    return ResNet(n_outputs, n=5, input_shape=input_shape)


def _zenkenet(cfg: dict, input_shape: tuple[int, ...], n_outputs: int) -> TargetNet:
    _image_input("zenkenet", input_shape)
    return ZenkeNet(n_outputs, cfg["dropout_rate"], input_shape)


# name -> builder(resolved config, one sample's input shape, number of outputs)
TARGET_NETS: dict[str, Callable[[dict, tuple[int, ...], int], TargetNet]] = {
    "mlp": _mlp,
    "resnet32": _resnet32,
    "zenkenet": _zenkenet,
}
# name -> the settings its builder reads (part of a run's configuration when target_net is that name)
TARGET_NET_SETTINGS: dict[str, dict[str, Setting]] = {
    "mlp": {
        "target_hidden": Setting(
            REQUIRED, "hidden layer sizes of the target MLP ([]: a linear classifier)", type="ints"
        ),
        "target_activation": Setting(REQUIRED, "activation of the target MLP's hidden layers", ACTIVATIONS, type="str"),
    },
    "resnet32": {},
    "zenkenet": {
        "dropout_rate": Setting(
            REQUIRED, "dropout after the convolutional blocks", type="float", constraint="unit_interval"
        )
    },
}


def build_target(cfg: dict, input_shape: tuple[int, ...], n_outputs: int) -> TargetNet:
    kind = cfg.get("target_net", "mlp")
    if kind not in TARGET_NETS:
        raise ValueError(f"unknown target_net {kind!r}; valid: {sorted(TARGET_NETS)}")
    return TARGET_NETS[kind](cfg, tuple(input_shape), n_outputs)


__all__ = [
    "ACTIVATIONS",
    "MLP",
    "HyperNetwork",
    "ResNet",
    "TARGET_NETS",
    "TARGET_NET_SETTINGS",
    "TargetNet",
    "ZenkeNet",
    "activation",
    "build_target",
]
