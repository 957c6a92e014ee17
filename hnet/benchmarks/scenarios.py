"""CL1/CL2/CL3 (van de Ven & Tolias 2019): which output units a sample may use, and its target unit.

- ``cl1`` task identity given: one head per task; task t owns units [t*c, (t+1)*c).
- ``cl2`` one shared head of c units; labels are task-local.
- ``cl3`` one head growing over all classes seen so far: units [0, seen*c); the target of a task-t
  sample is unit t*c + local label. Units of classes not yet seen are excluded from the loss
  (van de Ven's "active classes").

Every active set is a contiguous range, but batches may mix tasks (joint training, replay), so the
rule is expressed as a boolean mask per sample.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

SCENARIOS = ("cl1", "cl2", "cl3")


class Scenario:
    def __init__(self, name: str, n_tasks: int, per_task: int, regression: bool = False):
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r}; valid: {list(SCENARIOS)}")
        self.name, self.n_tasks, self.per_task, self.regression = name, n_tasks, per_task, regression

    @property
    def n_outputs(self) -> int:
        return self.per_task if self.name == "cl2" else self.n_tasks * self.per_task

    def active_range(self, task: int, seen: int) -> tuple[int, int]:
        """Output units usable by a sample of ``task`` when ``seen`` tasks have been trained."""
        c = self.per_task
        if self.name == "cl1":
            return task * c, (task + 1) * c
        if self.name == "cl2":
            return 0, c
        return 0, seen * c

    def target_offset(self, task: int) -> int:
        return task * self.per_task if self.name in ("cl1", "cl3") else 0

    def mask_and_target(self, task_ids: Tensor, labels: Tensor, seen: int) -> tuple[Tensor, Tensor]:
        """Boolean mask ``(B, n_outputs)`` of active units and the target unit index ``(B,)``."""
        c = self.per_task
        units = torch.arange(self.n_outputs, device=task_ids.device)
        if self.name == "cl1":
            lo, hi = task_ids * c, (task_ids + 1) * c
        elif self.name == "cl2":
            lo, hi = torch.zeros_like(task_ids), torch.full_like(task_ids, c)
        else:
            lo, hi = torch.zeros_like(task_ids), torch.full_like(task_ids, seen * c)
        mask = (units >= lo[:, None]) & (units < hi[:, None])
        offset = task_ids * c if self.name in ("cl1", "cl3") else torch.zeros_like(task_ids)
        if self.regression:
            return mask, offset
        return mask, offset + labels

    def loss(self, outputs: Tensor, task_ids: Tensor, labels: Tensor, seen: int) -> Tensor:
        """Mean loss of a batch; for packed seeds (outputs ``(S, B, n)``) the sum over seeds of each
        seed's mean, so that every seed's gradient is exactly its own loss's."""
        if outputs.dim() == 3:
            s, b = outputs.shape[:2]
            per = self._loss(outputs.flatten(0, 1), task_ids.flatten(), labels.flatten(0, 1), seen, "none")
            return per.view(s, b, -1).mean((1, 2)).sum() if self.regression else per.view(s, b).mean(1).sum()
        return self._loss(outputs, task_ids, labels, seen, "mean")

    def _loss(self, outputs: Tensor, task_ids: Tensor, labels: Tensor, seen: int, reduction: str) -> Tensor:
        mask, target = self.mask_and_target(task_ids, labels, seen)
        if self.regression:
            pred = outputs.gather(1, target[:, None])
            return F.mse_loss(pred, labels, reduction=reduction)
        return F.cross_entropy(outputs.masked_fill(~mask, float("-inf")), target, reduction=reduction)

    def masked_logits(self, outputs: Tensor, task: int, seen: int) -> Tensor:
        """Logits of one task's test batch restricted to its active units (inactive = -inf)."""
        lo, hi = self.active_range(task, seen)
        out = torch.full_like(outputs, float("-inf"))
        out[:, lo:hi] = outputs[:, lo:hi]
        return out

    def score(self, outputs: Tensor, task: int, labels: Tensor, seen: int) -> tuple[float, int]:
        """Sum of per-sample scores (correct predictions, or squared errors) and the count."""
        if self.regression:
            lo, _ = self.active_range(task, seen)
            return float((outputs[:, lo : lo + 1] - labels).pow(2).sum()), len(labels)
        pred = self.masked_logits(outputs, task, seen).argmax(1)
        return float((pred == labels + self.target_offset(task)).sum()), len(labels)

    def inferred_outputs(self, chosen: Tensor, local: Tensor) -> Tensor:
        """Logits in this scenario's output space whose argmax is class ``local`` of task ``chosen``.

        For methods that infer the task identity (HNET+ENT, HNET+TIR) and then predict a class
        within the inferred task; ``score`` then judges them like any other output.
        """
        out = torch.full((len(chosen), self.n_outputs), -1.0, device=chosen.device)
        unit = chosen * self.per_task + local if self.name == "cl3" else local
        out[torch.arange(len(chosen), device=chosen.device), unit] = 1.0
        return out
