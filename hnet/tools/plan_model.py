"""The cost model's arithmetic (``hnet.tools.plan`` probes, this fits and schedules): per phase a + b p
fitted only where the probed growth is real, a run's predicted seconds, the greedy schedule of all
runs on the machine, and the measured times of finished jobs."""

from __future__ import annotations

import heapq
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from hnet.core.schedule import phase_iterations


@dataclass
class Probe:
    setup_s: float  # data loading and moving to the device
    step: list[tuple[int, float]]  # (phase, seconds per training step)
    end_task: list[tuple[int, float]]  # (phase, seconds)
    eval_unit: list[tuple[int, float]]  # (phase, seconds per seen task evaluated)
    step_median: list[tuple[int, float]] = field(default_factory=list)  # (phase, median seconds of one step)


def linear(points: list[tuple[int, float]]):
    """a + b p through the points (least squares); a constant for one point; never below zero."""
    if len(points) == 1:
        return lambda p: points[0][1]
    ps, vs = [p for p, _ in points], [v for _, v in points]
    mp, mv = statistics.fmean(ps), statistics.fmean(vs)
    var = sum((p - mp) ** 2 for p in ps)
    b = sum((p - mp) * (v - mv) for p, v in zip(ps, vs)) / var if var else 0.0
    return lambda p: max(mv + b * (p - mp), 0.0)


def growth(
    points: list[tuple[int, float]],
    significant: float = 0.25,
    medians: list[tuple[int, float]] | None = None,
    significant_median: float = 0.08,
):
    """Phase 0 as measured (no previous task: no regulariser, no replay); later phases a + b p
    fitted on the probed phases >= 1, but only where the growth is real: a phase total of 20 steps
    varies by 10-30 % (load, one slow step), and a slope fitted to noise, extrapolated from 3
    phases to 100, would decide the whole prediction. With ``medians`` (the median single step of
    each phase, robust to one slow step) the growth is judged on their fitted rise over the probed
    phases against ``significant_median`` of their mean; without them, the totals' rise against
    ``significant``. Neither decides well from 3 regularised phases (PermutedMNIST-100 HNET: +7 %
    idle, above 8 % under load), hence the longer probes of many-task benchmarks (``probed_tasks``)."""
    first = dict(points).get(0)
    later = [(p, v) for p, v in points if p >= 1] or points
    fit = linear(later)
    if medians and len([m for m in medians if m[0] >= 1]) > 1:
        evidence, threshold = [m for m in medians if m[0] >= 1], significant_median
    else:
        evidence, threshold = later, significant
    evidence_fit = linear(evidence)
    lo, hi = min(p for p, _ in evidence), max(p for p, _ in evidence)
    rise = evidence_fit(hi) - evidence_fit(lo)
    grows = hi > lo and rise > threshold * statistics.fmean(v for _, v in evidence)
    mean = statistics.fmean(v for _, v in later)
    return lambda p: first if p == 0 and first is not None else (fit(p) if grows else mean)


def predict(probe_: Probe, cfg: dict, phases: list[list[int]], n_train: list[int], startup_s: float) -> float:
    step = growth(probe_.step, medians=probe_.step_median)
    end, unit = growth(probe_.end_task), growth(probe_.eval_unit)
    total = startup_s + probe_.setup_s
    for p, task_ids in enumerate(phases):
        iters, _ = phase_iterations(cfg, sum(n_train[t] for t in task_ids), len(task_ids))
        total += iters * step(p) + end(p) + unit(p) * (max(task_ids) + 1)
    return total


def makespan(durations: list[tuple[float, dict]], capacity: dict) -> float:
    """Greedy longest-first list schedule: each job (seconds, needs) starts as soon as what it
    needs is free; returns the finish time of the last job."""
    pending = sorted(durations, key=lambda d: -d[0])
    free, running, now = dict(capacity), [], 0.0
    while pending or running:
        started = True
        while started:
            started = False
            for i, (secs, needs) in enumerate(pending):
                if all(free[k] >= min(v, capacity[k]) for k, v in needs.items()):
                    for k, v in needs.items():
                        free[k] -= min(v, capacity[k])
                    heapq.heappush(running, (now + secs, id(needs), needs))
                    pending.pop(i)
                    started = True
                    break
        now, _, needs = heapq.heappop(running)
        for k, v in needs.items():
            free[k] += min(v, capacity[k])
    return now


def measured_seconds(pattern: str, seeds: list[int]) -> list[float]:
    """Wall seconds of finished jobs from Snakemake's benchmark files (column ``s``)."""
    out = []
    for seed in seeds:
        path = Path(pattern.format(seed=seed))
        if path.exists():
            lines = path.read_text().splitlines()
            out.append(float(lines[1].split("\t")[lines[0].split("\t").index("s")]))
    return out
