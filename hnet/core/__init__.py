"""The continual-learning framework: method interface, batch sampling, the loop and metrics.

Knows no specific method, network or benchmark: methods are discovered by ``hnet.registry``.
"""

from hnet.core.data import PackedPhaseData, PhaseData
from hnet.core.loop import DivergenceError, LoopState, evaluate, run_loop, run_seeds
from hnet.core.method import REQUIRED, Context, Method, Setting
from hnet.core.seeds import SeedStreams
from hnet.core.state import Stateful
from hnet.core.target_method import TargetNetMethod

__all__ = [
    "REQUIRED",
    "Context",
    "DivergenceError",
    "LoopState",
    "Method",
    "PackedPhaseData",
    "PhaseData",
    "SeedStreams",
    "Setting",
    "Stateful",
    "TargetNetMethod",
    "evaluate",
    "run_loop",
    "run_seeds",
]
