"""Task streams: what a benchmark produces. Benchmarks know nothing about methods."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import torch
from torch import Tensor


@dataclass
class Task:
    """One task's data. ``y_*`` are task-local labels (0..classes-1) or float regression targets.

    Inputs may share storage between tasks (PermutedMNIST keeps one padded copy of MNIST and a
    permutation per task, applied when a batch is drawn, instead of T permuted copies).
    """

    index: int
    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    classes: list[int]  # original dataset labels in this task (regression: [])
    input_perm: Tensor | None = None

    def inputs(self, x: Tensor) -> Tensor:
        return x if self.input_perm is None else x[:, self.input_perm]

    def train_batch(self, idx: Tensor) -> tuple[Tensor, Tensor]:
        return self.inputs(self.x_train[idx]), self.y_train[idx]

    def test_batches(self, batch_size: int):
        for s in range(0, len(self.y_test), batch_size):
            yield self.inputs(self.x_test[s : s + batch_size]), self.y_test[s : s + batch_size]

    @property
    def n_train(self) -> int:
        return len(self.y_train)


@dataclass
class Benchmark:
    name: str
    tasks: list[Task]
    input_shape: tuple[int, ...]  # one sample's input
    outputs_per_task: int  # classes per task, or 1 for regression
    regression: bool = False
    info: dict = field(default_factory=dict)

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def input_dim(self) -> int:
        """Number of input features (for networks that take flat inputs)."""
        return math.prod(self.input_shape)

    @property
    def metric(self) -> str:
        return "mse" if self.regression else "accuracy"

    def with_tasks(self, tasks: list[Task], **info) -> "Benchmark":
        return replace(self, tasks=tasks, info={**self.info, **info})

    def to(self, device) -> "Benchmark":
        # Tasks sharing one input tensor keep sharing it on the device.
        moved: dict[int, Tensor] = {}

        def move(t):
            if t is None:
                return None
            key = id(t)
            if key not in moved:
                moved[key] = t.to(device)
            return moved[key]

        return self.with_tasks([Task(t.index, move(t.x_train), move(t.y_train), move(t.x_test), move(t.y_test),
                                     t.classes, move(t.input_perm)) for t in self.tasks])
