"""Random streams of seed-batched (packed) training: S seeds of one cell trained as one model.

Seed k of a packed run must draw exactly what an unpacked run of seed k draws (initialisations,
task embeddings, Fisher samples), however its companions draw. ``SeedStreams`` keeps one torch
random state per seed, started as ``torch.manual_seed(seed)`` starts an unpacked run, and swaps it
in around every draw made for that seed (``use(k)``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch


class SeedStreams:
    def __init__(self, seeds: Sequence[int]):
        self.seeds = tuple(seeds)
        outer = torch.get_rng_state()
        self.states = []
        for seed in self.seeds:
            torch.manual_seed(seed)
            self.states.append(torch.get_rng_state())
        torch.set_rng_state(outer)

    def __len__(self) -> int:
        return len(self.seeds)

    @contextlib.contextmanager
    def use(self, k: int):
        """Run the body with seed k's random stream as torch's global one."""
        outer = torch.get_rng_state()
        torch.set_rng_state(self.states[k])
        try:
            yield
        finally:
            self.states[k] = torch.get_rng_state()
            torch.set_rng_state(outer)

    def each(self, draw) -> list:
        """``[draw() with seed k's stream for every k]``."""
        out = []
        for k in range(len(self)):
            with self.use(k):
                out.append(draw())
        return out
