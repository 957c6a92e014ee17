"""Batches of one training phase: shuffled epochs drawn from one or several tasks (for packed seeds,
one stream of batches per seed)."""

from __future__ import annotations

import torch
from torch import Tensor


class PackedPhaseData:
    """One phase's data for every seed of a packed run: each seed draws its own batches from its own
    generator (``per_seed[k]``), stacked along a leading seed dimension."""

    def __init__(self, per_seed: list[PhaseData]):
        self.per_seed = per_seed
        self.n = per_seed[0].n

    def next_batch(self) -> tuple[Tensor, Tensor, Tensor]:
        parts = [d.next_batch() for d in self.per_seed]
        return tuple(torch.stack(p) for p in zip(*parts))


class PhaseData:
    """Training data of one phase (one task, or all tasks for joint training)."""

    def __init__(self, tasks, batch_size: int, generator: torch.Generator, device: torch.device):
        self.tasks, self.batch_size, self.generator, self.device = tasks, batch_size, generator, device
        sizes = torch.tensor([t.n_train for t in tasks])
        self.offsets = torch.cumsum(sizes, 0) - sizes
        self.n = int(sizes.sum())
        self._order: Tensor | None = None
        self._pos = 0

    def _gather(self, flat_idx: Tensor, augment: bool = False) -> tuple[Tensor, Tensor, Tensor]:
        gen = self.generator if augment else None
        if len(self.tasks) == 1:
            t = self.tasks[0]
            x, y = t.train_batch(flat_idx.to(self.device), gen)  # (a no-op for next_batch's indices)
            return x, y, torch.full((len(flat_idx),), t.index, device=self.device)
        which = torch.searchsorted(self.offsets, flat_idx, right=True) - 1
        xs, ys, ids = [], [], []
        for k in which.unique().tolist():
            sel = flat_idx[which == k] - self.offsets[k]
            x, y = self.tasks[k].train_batch(sel.to(self.device), gen)
            xs.append(x), ys.append(y)
            ids.append(torch.full((len(sel),), self.tasks[k].index, device=self.device))
        return torch.cat(xs), torch.cat(ys), torch.cat(ids)

    def next_batch(self) -> tuple[Tensor, Tensor, Tensor]:
        """A batch without replacement within an epoch; reshuffled every epoch."""
        if self._order is None or self._pos + self.batch_size > self.n:
            # Drawn on the host from the seed's generator (the same batches on every device), and
            # copied to the device once per epoch, not once per step.
            self._order = torch.randperm(self.n, generator=self.generator)
            if len(self.tasks) == 1:
                self._order = self._order.to(self.device)
            self._pos = 0
        idx = self._order[self._pos : self._pos + self.batch_size]
        self._pos += self.batch_size
        return self._gather(idx, augment=True)

    def iterate(self, batch_size: int, limit: int | None = None):
        """Every training sample once, in order (first ``limit`` of a fixed shuffle if given), not augmented."""
        if limit is not None and limit < self.n:
            idx = torch.randperm(self.n, generator=self.generator)[:limit].sort().values
        else:
            idx = torch.arange(self.n)
        for s in range(0, len(idx), batch_size):
            yield self._gather(idx[s : s + batch_size])
