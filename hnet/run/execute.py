"""One training job: resolve its config, build the benchmark and method, train with a checkpoint
after every task (continuing from one left by a killed job), and write the run folder."""

from __future__ import annotations

import logging
import os
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from hnet.benchmarks import Scenario, build_benchmark, label
from hnet.core import Context, LoopState, metrics, run_loop
from hnet.errors import ConfigError, UserError
from hnet.registry import method_class
from hnet.run import provenance
from hnet.run.config import fingerprint, resolve
from hnet.run.io import atomic_torch_save, atomic_write_json, atomic_write_text
from hnet.run.packed import run_packed
from hnet.run.seeding import rng_state, seed_everything, set_rng_state

log = logging.getLogger("hnet")
CHECKPOINT_FORMAT = 2  # bump when the layout of a method's state_dict changes
MAX_SEED = 2**32 - 1  # numpy's seed range


@dataclass
class Job:
    benchmark: str
    scenario: str
    method: str
    seed: int
    out: Path
    overrides: dict = field(default_factory=dict)
    data_dir: str = "data"
    download: bool = True
    device: str = "auto"
    keep_checkpoint: bool = False

    @property
    def label(self) -> str:
        return f"{self.benchmark}/{self.scenario}/{self.method}/seed{self.seed}"


def resolve_device(name: str) -> torch.device:
    """``auto``: the visible GPU with the most free memory (several jobs share a machine's GPUs,
    each job landing on the least loaded one), else the CPU."""
    if name == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        free = [free_gpu_memory(i) for i in range(torch.cuda.device_count())]
        device = torch.device("cuda", max(range(len(free)), key=free.__getitem__))
        torch.cuda.set_device(device)  # so that code using the current device uses this one
        return device
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda requested but CUDA is not available")
    return torch.device(name)


def free_gpu_memory(index: int) -> int:
    """Free memory of GPU ``index`` in bytes, from NVML when available: it does not create a CUDA
    context on every GPU, as ``mem_get_info`` does."""
    try:
        return torch.cuda.get_device_properties(index).total_memory - torch.cuda.device_memory_used(index)
    except Exception:  # no pynvml (nvidia-ml-py): ask the driver through a context
        return torch.cuda.mem_get_info(index)[0]


def check_writable(out: Path) -> None:
    """Fail before any training if the run folder cannot be created and written; leave nothing behind."""
    created = [p for p in (out, *out.parents) if not p.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as err:
        raise UserError(f"--out {out}: cannot write there ({err.strerror or err})") from None
    finally:
        for folder in created:  # innermost first; created again by the first checkpoint
            try:
                folder.rmdir()
            except OSError:
                break


def execute(job: Job, fault=None) -> dict:
    if not 0 <= job.seed <= MAX_SEED:
        raise ConfigError(f"--seed {job.seed}: expected an integer in 0..{MAX_SEED}")
    cfg, sources = resolve(job.benchmark, job.scenario, job.method, job.overrides)
    device = resolve_device(job.device)
    out = Path(job.out)
    run_fingerprint = fingerprint(job.benchmark, job.scenario, job.method, job.seed, cfg)
    checkpoint_id = f"{run_fingerprint}-{device.type}-{CHECKPOINT_FORMAT}"
    check_writable(out)
    started = time.perf_counter()

    seed_everything(job.seed)
    bench = build_benchmark(job.benchmark, {**cfg, "data_dir": job.data_dir, "download": job.download})
    bench = bench.to(device)
    scenario = Scenario(job.scenario, bench.n_tasks, bench.outputs_per_task, bench.regression)
    method = method_class(job.method)(Context(bench, scenario, cfg, device))
    generator = torch.Generator().manual_seed(job.seed)

    ckpt_path = out / "checkpoint.pt"
    state = LoopState()
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        if ckpt.get("fingerprint") == checkpoint_id:
            method.load_state_dict(ckpt["method"])
            set_rng_state(ckpt["rng"], generator)
            state = LoopState(**ckpt["loop"])
            log.info("%s: resuming after task %d from %s", job.label, state.next_phase, ckpt_path)
        else:
            log.warning("%s: ignoring %s (written for a different configuration)", job.label, ckpt_path)

    def save_checkpoint(s: LoopState) -> None:
        atomic_torch_save(ckpt_path, {"fingerprint": checkpoint_id, "method": method.state_dict(),
                                      "rng": rng_state(generator), "loop": vars(s)})
        # Test hook: die as a killed job would, right after a checkpoint (tests/test_resume.py).
        if os.environ.get("HNET_TEST_KILL_AFTER_TASK") == str(s.next_phase):
            os.kill(os.getpid(), signal.SIGKILL)

    state = run_loop(bench, scenario, method, cfg, generator, state, save_checkpoint, job.label, fault)

    predictions = regression_predictions(bench, method.predictor) if bench.regression else None
    result = write_run(job, cfg, sources, device, bench, state, method.info(), predictions, started)
    if not job.keep_checkpoint:
        ckpt_path.unlink(missing_ok=True)
    return result


def write_run(job: Job, cfg: dict, sources: dict, device: torch.device, bench, state: LoopState,
              method_info: dict, predictions: list | None, started: float) -> dict:
    """The run folder's metrics.json and matrix.csv (the documented format)."""
    out = Path(job.out)
    summary = metrics.summarize(state.matrix, bench.metric)
    if predictions is not None:  # the toy regression's fits after all tasks (the paper's Fig. 2)
        summary["predictions"] = predictions
    runtime = provenance.runtime(device)
    data = provenance.data_provenance(job.benchmark, cfg, job.data_dir)
    result = {
        "benchmark": job.benchmark, "dataset": data["dataset"], "label": label(job.benchmark, cfg.get("dataset")),
        "scenario": job.scenario, "method": job.method, "seed": job.seed,
        "fingerprint": fingerprint(job.benchmark, job.scenario, job.method, job.seed, cfg),
        "metric": bench.metric, "matrix": state.matrix, **summary,
        "wall_time_s": time.perf_counter() - started,
        "train_time_s": state.train_seconds,
        "iterations_per_s": state.train_steps / max(state.train_seconds, 1e-9),
        "device": runtime["device_name"] if device.type == "cuda" else "cpu",
        "method_info": method_info, "config": cfg, "sources": sources,
        "provenance": {"code": provenance.code_provenance(), "data": data, "runtime": runtime},
    }
    header = ",".join(f"task{i + 1}" for i in range(bench.n_tasks))
    rows = [",".join("" if v != v else f"{v:.6g}" for v in row) for row in state.matrix]
    atomic_write_text(out / "matrix.csv", "\n".join([header, *rows]) + "\n")
    atomic_write_json(out / "metrics.json", result)
    return result


def execute_packed(jobs: list[Job]) -> list[dict]:
    """Seeds of one cell trained as one batched model (``hnet.run.packed``); a run folder per seed."""
    first = jobs[0]
    if any((j.benchmark, j.scenario, j.method, j.overrides) != (first.benchmark, first.scenario, first.method,
                                                                 first.overrides) for j in jobs):
        raise ConfigError("packed seeds must share benchmark, scenario, method and overrides")
    for job in jobs:
        if not 0 <= job.seed <= MAX_SEED:
            raise ConfigError(f"--seed {job.seed}: expected an integer in 0..{MAX_SEED}")
        check_writable(Path(job.out))
    cfg, sources = resolve(first.benchmark, first.scenario, first.method, first.overrides)
    device = resolve_device(first.device)
    started = time.perf_counter()
    bench = build_benchmark(first.benchmark, {**cfg, "data_dir": first.data_dir, "download": first.download}).to(device)
    scenario = Scenario(first.scenario, bench.n_tasks, bench.outputs_per_task, bench.regression)
    label_ = f"{first.benchmark}/{first.scenario}/{first.method}"
    method, states, predictor = run_packed(bench, scenario, first.method, cfg, [j.seed for j in jobs], device, label_)
    results = []
    for k, (job, state) in enumerate(zip(jobs, states)):
        predictions = regression_predictions(bench, lambda t, k=k: predictor(k, t)) if bench.regression else None
        results.append(write_run(job, cfg, sources, device, bench, state, method.info(), predictions, started))
    return results


@torch.no_grad()
def regression_predictions(bench, predictor) -> list[dict]:
    """``predictor(task)`` -> a function of the inputs, as ``Method.predictor``."""
    out = []
    for task in bench.tasks:
        x = task.x_test
        lo = task.index  # cl1: one output unit per task
        y = predictor(task.index)(x)[:, lo : lo + 1]
        out.append({"task": task.index + 1, "x": x.flatten().tolist(), "y_true": task.y_test.flatten().tolist(),
                    "y_pred": y.flatten().tolist()})
    return out
