"""Per-epoch learning-rate schedules of one training phase (the split CIFAR presets use them).

Two torch schedulers, as in the authors' CIFAR code (hypercl ``cifar/train.py``, after
https://keras.io/examples/cifar10_resnet/), applied to every optimizer the method exposes
(``Method.optimizers()``) and stepped after every epoch in this order:

- ``lr_plateau``: ``ReduceLROnPlateau`` on the current task's accuracy (mode max, factor sqrt(0.1),
  patience 5, min_lr 5e-7, cooldown 0). The authors fed it the *test* accuracy; here it gets the
  accuracy on a validation split held out of the task's training data (``lr_val_fraction``).
- ``lr_lambda``: ``LambdaLR`` with factor 1, then 0.1 after epoch 80, 1e-2 after 120, 1e-3 after
  160 and 5e-4 after 180. ``LambdaLR`` *sets* the rate to initial rate x factor at every step, so
  with both schedulers on (the authors' ResNet-32 command) a plateau reduction lasts only until the
  lambda step of the same epoch: the lambda schedule decides.
"""

from __future__ import annotations

import math

import torch
from torch.optim import lr_scheduler

from hnet.settings import Setting

SETTINGS = {
    "epochs": Setting(0, "epochs per task; 0: train `iterations` steps per task instead", constraint="non_negative"),
    "lr_plateau": Setting(False, "reduce the learning rate when the validation accuracy stalls (per epoch)"),
    "lr_lambda": Setting(False, "the epoch-wise step schedule of keras' CIFAR ResNet example"),
    "lr_val_fraction": Setting(
        0.0, "fraction of each task's training data held out to drive lr_plateau", constraint="unit_interval"
    ),
}


def lambda_factor(epoch: int) -> float:
    if epoch > 180:
        return 0.5e-3
    if epoch > 160:
        return 1e-3
    if epoch > 120:
        return 1e-2
    if epoch > 80:
        return 1e-1
    return 1.0


def phase_iterations(cfg: dict, n_train: int, n_tasks_in_phase: int) -> tuple[int, int]:
    """(training steps of a phase, steps per epoch)."""
    per_epoch = math.ceil(n_train / cfg["batch_size"])
    if cfg.get("epochs", 0) > 0:
        return cfg["epochs"] * per_epoch, per_epoch
    return cfg["iterations"] * n_tasks_in_phase, per_epoch


class EpochSchedule:
    """The schedulers of one phase; ``None`` from ``create`` when the config asks for none."""

    def __init__(self, optimizers: list[torch.optim.Optimizer], plateau: bool, lam: bool, lr: float):
        for opt in optimizers:  # a schedule starts from the configured rate in every phase
            for group in opt.param_groups:
                group["lr"] = group["initial_lr"] = lr
        self.plateau = (
            [
                lr_scheduler.ReduceLROnPlateau(o, "max", factor=math.sqrt(0.1), patience=5, min_lr=0.5e-6, cooldown=0)
                for o in optimizers
            ]
            if plateau
            else []
        )
        self.lam = [lr_scheduler.LambdaLR(o, lambda_factor) for o in optimizers] if lam else []

    @classmethod
    def create(cls, cfg: dict, optimizers: list[torch.optim.Optimizer]) -> EpochSchedule | None:
        if not (cfg.get("lr_plateau") or cfg.get("lr_lambda")):
            return None
        if cfg.get("lr_plateau") and not cfg.get("lr_val_fraction", 0) > 0:
            raise ValueError("lr_plateau needs a validation split: set lr_val_fraction > 0")
        return cls(optimizers, bool(cfg.get("lr_plateau")), bool(cfg.get("lr_lambda")), cfg["lr"])

    @property
    def needs_validation(self) -> bool:
        return bool(self.plateau)

    def epoch_end(self, val_accuracy: float | None) -> None:
        for s in self.plateau:
            s.step(val_accuracy)
        for s in self.lam:
            s.step()
