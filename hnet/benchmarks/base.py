"""Task streams: what a benchmark produces. Benchmarks know nothing about methods."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch
from torch import Tensor

# (stored inputs) -> network inputs, e.g. uint8 images -> normalised floats
Transform = Callable[[Tensor], Tensor]
# (network inputs, CPU generator) -> randomly altered inputs, e.g. crops and flips
Augment = Callable[[Tensor, torch.Generator], Tensor]


@dataclass
class Task:
    """One task's data. ``y_*`` are task-local labels (0..classes-1) or float regression targets.

    Inputs may share storage between tasks (PermutedMNIST keeps one padded copy of MNIST and a
    permutation per task, applied when a batch is drawn, instead of T permuted copies) and may be
    stored compactly (CIFAR keeps uint8 images; ``transform`` turns a batch into network inputs).
    ``augment`` alters training batches only, on the device, with random draws from the training
    loop's generator (so a seed fixes them). ``x_val``/``y_val`` are an optional validation split
    held out of the training data (for learning-rate schedules), never the test set.
    """

    index: int
    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    classes: list[int]  # original dataset labels in this task (regression: [])
    input_perm: Tensor | None = None
    transform: Transform | None = None
    augment: Augment | None = None
    x_val: Tensor | None = None
    y_val: Tensor | None = None

    def inputs(self, x: Tensor) -> Tensor:
        if self.transform is not None:
            x = self.transform(x)
        return x if self.input_perm is None else x[:, self.input_perm]

    def train_batch(self, idx: Tensor, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        x = self.inputs(self.x_train[idx])
        if self.augment is not None and generator is not None:
            x = self.augment(x, generator)
        return x, self.y_train[idx]

    def test_batches(self, batch_size: int):
        yield from self._batches(self.x_test, self.y_test, batch_size)

    def val_batches(self, batch_size: int):
        if self.y_val is None:
            raise ValueError(f"task {self.index + 1} has no validation split")
        yield from self._batches(self.x_val, self.y_val, batch_size)

    def _batches(self, x: Tensor, y: Tensor, batch_size: int):
        for s in range(0, len(y), batch_size):
            yield self.inputs(x[s : s + batch_size]), y[s : s + batch_size]

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

    def with_tasks(self, tasks: list[Task], **info) -> Benchmark:
        return replace(self, tasks=tasks, info={**self.info, **info})

    def to(self, device) -> Benchmark:
        # Tasks sharing one input tensor keep sharing it on the device.
        moved: dict[int, Tensor] = {}

        def move(t):
            if t is None:
                return None
            key = id(t)
            if key not in moved:
                moved[key] = t.to(device)
            return moved[key]

        return self.with_tasks(
            [
                replace(
                    t,
                    x_train=move(t.x_train),
                    y_train=move(t.y_train),
                    x_test=move(t.x_test),
                    y_test=move(t.y_test),
                    input_perm=move(t.input_perm),
                    x_val=move(t.x_val),
                    y_val=move(t.y_val),
                )
                for t in self.tasks
            ]
        )
