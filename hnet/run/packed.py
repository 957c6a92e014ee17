"""Seeds packed into one process: S seeds of one (benchmark, scenario, method) cell trained as one
batched model, for GPUs that small models leave mostly idle.

The target network's weights get a leading seed dimension (``(S, ...)``) and every training step
is one batched forward and backward (``MLP`` applies S weight sets to S batches with batched matrix
products); each seed keeps what makes it that seed: its initialisation (drawn from its own seed),
its data order (its own generator), its optimizer state (Adam is elementwise, so one Adam over
stacked weights updates every seed exactly as its own would), its penalty (the baselines' penalties
are sums of elementwise terms, so the stacked sum's gradient is each seed's own), its Fisher (on its
own data and random stream, ``baselines.fisher.task_fisher``) and its evaluation (on its own slice).
Packed seed k therefore equals the unpacked run of seed k up to floating-point summation order
(tests/test_packed.py, float64). Methods say whether they can be packed (``Method.packable``).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Sequence

import torch
from torch import Tensor

from hnet.benchmarks import Benchmark, Scenario
from hnet.core import Context, DivergenceError, LoopState, PhaseData
from hnet.core.progress import Progress
from hnet.core.schedule import phase_iterations
from hnet.nets import build_target
from hnet.registry import method_class
from hnet.run.seeding import seed_everything


class PackedTarget:
    """A target network whose ``init_params`` are the stacked per-seed initialisations."""

    def __init__(self, net, inits: list[list[Tensor]]):
        if not getattr(net, "batched_weights", False):
            raise ValueError(f"{type(net).__name__} cannot apply stacked weights; seeds cannot be packed")
        self.net, self.inits = net, inits
        self.param_shapes, self.out_dim = net.param_shapes, net.out_dim
        self.input_shape, self.num_params = net.input_shape, net.num_params

    def init_params(self) -> list[Tensor]:
        return [torch.stack(ts) for ts in zip(*self.inits)]

    def init_state(self) -> list[Tensor]:
        return self.net.init_state()

    def __call__(self, x, weights, state=None, train=False):
        return self.net(x, weights, state, train)


class PackedPhase:
    """One phase's data for every seed; ``rng(k)`` runs code with seed k's global random stream."""

    def __init__(self, per_seed: list[PhaseData], rng_states: list[Tensor]):
        self.per_seed, self.rng_states = per_seed, rng_states

    def next_batch(self) -> tuple[Tensor, Tensor, Tensor]:
        parts = [d.next_batch() for d in self.per_seed]
        return tuple(torch.stack(p) for p in zip(*parts))

    @contextlib.contextmanager
    def rng(self, k: int):
        outer = torch.get_rng_state()
        torch.set_rng_state(self.rng_states[k])
        try:
            yield
        finally:
            self.rng_states[k] = torch.get_rng_state()
            torch.set_rng_state(outer)


def pack_unsupported_reason(method: str, cfg: dict, input_shape: Sequence[int]) -> str | None:
    """Why seeds of a cell (run config ``cfg``, one sample of shape ``input_shape``) cannot be
    packed, or None when they can."""
    if not method_class(method).packable:
        return f"method {method!r} cannot be packed (Method.packable is false)"
    net = build_target(cfg, tuple(input_shape), 1)  # shapes only: no weights are allocated
    if not net.batched_weights:
        return f"target network {type(net).__name__} cannot apply stacked weights"
    return None


def check_packable(method: str, cfg: dict, input_shape: Sequence[int]) -> None:
    reason = pack_unsupported_reason(method, cfg, input_shape)
    if reason:
        raise ValueError(f"{reason}; run its seeds unpacked")


def seed_predictor(method, k: int, task: int):
    """Seed k's predictor for ``task``: its own slice of the packed weights."""
    if hasattr(method, "seed_predictor"):
        return method.seed_predictor(k, task)
    weights = [p[k] for p in method.params]
    return lambda x: method.forward(x, weights)


@torch.no_grad()
def evaluate_seed(method, bench: Benchmark, scenario: Scenario, k: int, seen: int, batch_size: int) -> list[float]:
    row = [math.nan] * bench.n_tasks
    for i in range(seen):
        predict = seed_predictor(method, k, i)
        total, count = 0.0, 0
        for x, y in bench.tasks[i].test_batches(batch_size):
            s, n = scenario.score(predict(x), i, y, seen)
            total, count = total + s, count + n
        row[i] = total / count if bench.regression else 100.0 * total / count
    return row


def run_packed(bench: Benchmark, scenario: Scenario, method_name: str, cfg: dict, seeds: Sequence[int],
               device: torch.device, label: str = ""):
    """Train ``seeds`` of one cell as one batched model: (the packed method, one LoopState per seed,
    ``predictor(k, task)``)."""
    check_packable(method_name, cfg, bench.input_shape)
    cls = method_class(method_name)
    if hasattr(cls, "packed"):  # a method with its own packed implementation (HNET)
        method = cls.packed(Context(bench, scenario, cfg, device), list(seeds), seed_everything)
        rng_states = method.rng_states
    else:  # a network trained on its own weights: the same method on stacked weights
        inits, rng_states = [], []
        for seed in seeds:  # what an unpacked run of this seed draws before training starts
            seed_everything(seed)
            inits.append(build_target(cfg, bench.input_shape, scenario.n_outputs).init_params())
            rng_states.append(torch.get_rng_state())

        def factory(c, shape, n_out):
            return PackedTarget(build_target(c, shape, n_out), inits)

        method = cls(Context(bench, scenario, cfg, device, target_factory=factory))
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    states = [LoopState() for _ in seeds]
    phases = method.phases(bench.n_tasks)
    for p, task_ids in enumerate(phases):
        seen = max(task_ids) + 1
        method.begin_task(p)
        data = PackedPhase([PhaseData([bench.tasks[t] for t in task_ids], cfg["batch_size"], g, device)
                            for g in generators], rng_states)
        iterations, _ = phase_iterations(cfg, data.per_seed[0].n, len(task_ids))
        bar = Progress(iterations, f"{label} packed x{len(seeds)} task {p + 1}/{len(phases)}".strip())
        start = time.perf_counter()
        for it in range(iterations):
            x, y, tids = data.next_batch()
            value = float(method.train_step(x, y, tids, seen))
            if not math.isfinite(value):
                bar.close()
                raise DivergenceError(f"{label}: non-finite loss in a packed seed ({list(seeds)}) at task {p + 1}, "
                                      f"iteration {it + 1}; run the seeds unpacked to see which")
            bar.update(value / len(seeds))
        bar.close()
        if device.type == "cuda":
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - start
        method.end_task(p, data)
        for k, st in enumerate(states):
            st.train_seconds += elapsed / len(seeds)  # the shared step time, split evenly
            st.train_steps += iterations
            st.matrix.append(evaluate_seed(method, bench, scenario, k, seen, cfg["eval_batch_size"]))
            st.next_phase = p + 1
    return method, states, lambda k, task: seed_predictor(method, k, task)
