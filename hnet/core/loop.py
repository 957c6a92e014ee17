"""The continual-learning loop: train phase after phase, evaluate every task seen so far after each,
and keep the full matrix A[t][i]. Knows nothing about any specific method. One loop for one seed and
for S seeds packed into one method (``Context.streams``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from hnet.benchmarks import Benchmark, Scenario
from hnet.core.compiling import step_begins
from hnet.core.data import PackedPhaseData, PhaseData
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


# Steps between reading the losses back to the host. In between nothing waits for the device, so
# a GPU runs ahead of Python; a divergence is still reported at the iteration where it happened.
LOSS_READ_EVERY = 50


class LossLog:
    """One phase's step losses, kept on the device and read back in blocks."""

    def __init__(self, iterations: int, n_seeds: int):
        self.values: torch.Tensor | None = None
        self.iterations, self.n_seeds, self.read_up_to = iterations, n_seeds, 0

    def record(self, it: int, loss: torch.Tensor) -> None:
        if self.values is None:
            self.values = torch.empty(self.iterations, dtype=loss.dtype, device=loss.device)
        self.values[it] = loss.detach()  # a device-side copy: no synchronisation

    def read(self, recorded: int, bar: Progress) -> tuple[int, float] | None:
        """Advance ``bar`` over steps not yet read (up to ``recorded``); the first non-finite
        (iteration index, loss), or None. Packed seeds: the seeds' mean loss."""
        first, self.read_up_to = self.read_up_to, recorded
        for k, value in enumerate((self.values[first:recorded] / self.n_seeds).tolist()):
            if not math.isfinite(value):
                return first + k, value
            bar.update(value)
        return None


def _scores(
    method: Method, bench: Benchmark, scenario: Scenario, task: int, seen: int, batch_size: int, split: str
) -> list[float]:
    """Score of every seed the method trains (one, or S packed) on one task's test or validation split."""
    data = bench.tasks[task]
    predict = method.predictor(task)
    totals, count = [0.0] * method.n_seeds, 0
    batches = data.test_batches(batch_size) if split == "test" else data.val_batches(batch_size)
    for x, y in batches:
        out = predict(x)
        per_seed = [out] if method.streams is None else list(out)
        for k, o in enumerate(per_seed):
            s, n = scenario.score(o, task, y, seen)
            totals[k] += s
        count += n
    return [t / count if bench.regression else 100.0 * t / count for t in totals]


@torch.no_grad()
def score_task(
    method: Method, bench: Benchmark, scenario: Scenario, task: int, seen: int, batch_size: int, split: str = "test"
) -> float:
    """Score on one task's test (or validation) split: accuracy in percent, or MSE."""
    return _scores(method, bench, scenario, task, seen, batch_size, split)[0]


@torch.no_grad()
def evaluate_seeds(
    method: Method, bench: Benchmark, scenario: Scenario, seen: int, batch_size: int
) -> list[list[float]]:
    """One row per trained seed: scores on tasks 0..seen-1 (accuracy in percent, or MSE), NaN after."""
    rows = [[math.nan] * bench.n_tasks for _ in range(method.n_seeds)]
    for i in range(seen):
        for k, value in enumerate(_scores(method, bench, scenario, i, seen, batch_size, "test")):
            rows[k][i] = value
    return rows


def evaluate(method: Method, bench: Benchmark, scenario: Scenario, seen: int, batch_size: int) -> list[float]:
    """Scores on tasks 0..seen-1 (accuracy in percent, or MSE); NaN for tasks not yet seen."""
    return evaluate_seeds(method, bench, scenario, seen, batch_size)[0]


def run_loop(
    bench: Benchmark,
    scenario: Scenario,
    method: Method,
    cfg: dict,
    generator: torch.Generator,
    state: LoopState | None = None,
    on_phase_end: Callable[[LoopState], None] | None = None,
    label: str = "",
) -> LoopState:
    """Train and evaluate one seed; ``on_phase_end`` is called after every phase (checkpointing)."""
    states = [state or LoopState()]
    hook = (lambda s: on_phase_end(s[0])) if on_phase_end is not None else None
    return run_seeds(bench, scenario, method, cfg, [generator], states, hook, label)[0]


def run_seeds(
    bench: Benchmark,
    scenario: Scenario,
    method: Method,
    cfg: dict,
    generators: list[torch.Generator],
    states: list[LoopState],
    on_phase_end: Callable[[list[LoopState]], None] | None = None,
    label: str = "",
) -> list[LoopState]:
    """The loop, for one seed or for S seeds packed into one method (``Context.streams``): the same
    phases, epoch schedules, divergence checks and evaluation; ``generators[k]`` draws seed k's
    batches and ``states[k]`` holds its matrix."""
    packed = method.streams is not None
    if len(generators) != method.n_seeds or len(states) != len(generators):
        raise ValueError("one generator and one loop state per trained seed")
    phases = method.phases(bench.n_tasks)
    device = method.device
    first = states[0].next_phase
    for p in range(first, len(phases)):
        task_ids = phases[p]
        seen = max(task_ids) + 1
        method.begin_task(p)
        per_seed = [PhaseData([bench.tasks[t] for t in task_ids], cfg["batch_size"], g, device) for g in generators]
        data = PackedPhaseData(per_seed) if packed else per_seed[0]
        iterations, per_epoch = phase_iterations(cfg, data.n, len(task_ids))
        schedule = EpochSchedule.create(cfg, method.optimizers())
        what = f"packed x{len(generators)} " if packed else ""
        bar = Progress(iterations, f"{label} {what}task {p + 1}/{len(phases)}".strip())
        start = time.perf_counter()
        losses = LossLog(iterations, len(generators))
        for it in range(iterations):
            x, y, tids = data.next_batch()
            step_begins(method.ctx.compile)
            losses.record(it, method.train_step(x, y, tids, seen))
            if (it + 1) % LOSS_READ_EVERY == 0 or it + 1 == iterations:
                bad = losses.read(it + 1, bar)
                if bad is not None:
                    bar.close()
                    which = (
                        f" in a packed seed ({list(method.streams.seeds)}; run them unpacked to see which)"
                        if packed
                        else ""
                    )
                    raise DivergenceError(
                        f"{label}: non-finite loss ({bad[1]}){which} at task {p + 1}, iteration {bad[0] + 1}"
                    )
            if schedule is not None and (it + 1) % per_epoch == 0:
                val = (
                    score_task(method, bench, scenario, task_ids[-1], seen, cfg["eval_batch_size"], "val")
                    if schedule.needs_validation
                    else None
                )
                schedule.epoch_end(val)
        bar.close()
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
        method.end_task(p, data)
        problem = method.nonfinite()
        if problem:
            raise DivergenceError(f"{label}: {problem} after task {p + 1}, iteration {iterations}")
        rows = evaluate_seeds(method, bench, scenario, seen, cfg["eval_batch_size"])
        for st, row in zip(states, rows):
            st.train_seconds += elapsed / len(states)  # packed: the shared step time, split evenly
            st.train_steps += iterations
            st.matrix.append(row)
            st.next_phase = p + 1
        if on_phase_end is not None:
            on_phase_end(states)
    return states
