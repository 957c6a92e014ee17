"""The continual-learning loop: train phase after phase, evaluate every task seen so far after each,
and keep the full matrix A[t][i]. Knows nothing about any specific method."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from hnet.benchmarks import Benchmark, Scenario
from hnet.core.data import PhaseData
from hnet.core.method import Method
from hnet.core.progress import Progress
from hnet.core.schedule import EpochSchedule, phase_iterations


class DivergenceError(RuntimeError):
    """Training produced a non-finite loss or weight."""


@dataclass
class LoopState:
    """Everything needed to continue after the last finished phase."""

    next_phase: int = 0
    matrix: list[list[float]] = field(default_factory=list)
    train_seconds: float = 0.0
    train_steps: int = 0


@torch.no_grad()
def score_task(method: Method, bench: Benchmark, scenario: Scenario, task: int, seen: int, batch_size: int,
               split: str = "test") -> float:
    """Score on one task's test (or validation) split: accuracy in percent, or MSE."""
    data = bench.tasks[task]
    predict = method.predictor(task)
    total, count = 0.0, 0
    batches = data.test_batches(batch_size) if split == "test" else data.val_batches(batch_size)
    for x, y in batches:
        s, n = scenario.score(predict(x), task, y, seen)
        total, count = total + s, count + n
    return total / count if bench.regression else 100.0 * total / count


def evaluate(method: Method, bench: Benchmark, scenario: Scenario, seen: int, batch_size: int) -> list[float]:
    """Scores on tasks 0..seen-1 (accuracy in percent, or MSE); NaN for tasks not yet seen."""
    row = [math.nan] * bench.n_tasks
    for i in range(seen):
        row[i] = score_task(method, bench, scenario, i, seen, batch_size)
    return row


def run_loop(
    bench: Benchmark,
    scenario: Scenario,
    method: Method,
    cfg: dict,
    generator: torch.Generator,
    state: LoopState | None = None,
    on_phase_end: Callable[[LoopState], None] | None = None,
    label: str = "",
    fault: Callable[[int, int, torch.Tensor], torch.Tensor] | None = None,
) -> LoopState:
    """Train and evaluate; ``on_phase_end`` is called after every phase (checkpointing).

    ``fault`` is a test hook that may replace the loss of (phase, iteration).
    """
    state = state or LoopState()
    phases = method.phases(bench.n_tasks)
    device = method.device
    for p in range(state.next_phase, len(phases)):
        task_ids = phases[p]
        seen = max(task_ids) + 1
        method.begin_task(p)
        data = PhaseData([bench.tasks[t] for t in task_ids], cfg["batch_size"], generator, device)
        iterations, per_epoch = phase_iterations(cfg, data.n, len(task_ids))
        schedule = EpochSchedule.create(cfg, method.optimizers())
        bar = Progress(iterations, f"{label} task {p + 1}/{len(phases)}".strip())
        start = time.perf_counter()
        for it in range(iterations):
            x, y, tids = data.next_batch()
            loss = method.train_step(x, y, tids, seen)
            if fault is not None:
                loss = fault(p, it, loss)
            value = float(loss)
            if not math.isfinite(value):
                bar.close()
                raise DivergenceError(f"{label}: non-finite loss ({value}) at task {p + 1}, iteration {it + 1}")
            bar.update(value)
            if schedule is not None and (it + 1) % per_epoch == 0:
                val = (score_task(method, bench, scenario, task_ids[-1], seen, cfg["eval_batch_size"], "val")
                       if schedule.needs_validation else None)
                schedule.epoch_end(val)
        bar.close()
        if device.type == "cuda":
            torch.cuda.synchronize()
        state.train_seconds += time.perf_counter() - start
        state.train_steps += iterations
        method.end_task(p, data)
        problem = method.nonfinite()
        if problem:
            raise DivergenceError(f"{label}: {problem} after task {p + 1}, iteration {iterations}")
        state.matrix.append(evaluate(method, bench, scenario, seen, cfg["eval_batch_size"]))
        state.next_phase = p + 1
        if on_phase_end is not None:
            on_phase_end(state)
    return state
