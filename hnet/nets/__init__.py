"""Networks called with external weights. They know nothing about continual learning."""

from hnet.nets.hypernet import HyperNetwork
from hnet.nets.mlp import MLP, activation

__all__ = ["MLP", "HyperNetwork", "activation"]
