"""One training job: a run request (``hnet.run.request``, its configuration resolved once) trained
with a checkpoint after every task (continuing from one left by a killed job), then its folder."""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from hnet.benchmarks import Scenario, build_benchmark
from hnet.core import Context, LoopState, metrics, run_loop, run_seeds
from hnet.core.compiling import check_compile_mode
from hnet.core.seeds import SeedStreams
from hnet.errors import ConfigError, UserError
from hnet.registry import method_class
from hnet.run import provenance
from hnet.run.io import atomic_torch_save, atomic_write_json, atomic_write_text
from hnet.run.request import RunRequest
from hnet.run.seeding import rng_state, seed_everything, set_rng_state

log = logging.getLogger("hnet")
CHECKPOINT_FORMAT = 2  # bump when the layout of a method's state_dict changes


@dataclass(frozen=True)
class Place:
    """Where a run reads its data and computes (not part of what the run is)."""

    data_dir: str = "data"
    download: bool = True
    device: str = "auto"
    dataset_dirs: dict = field(default_factory=dict)  # dataset -> a folder the user named, read in place
    compile: str = "none"  # hnet.core.compiling: speed, not results (within float32 rounding)


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


def save_checkpoint(path: Path, checkpoint: dict) -> None:
    atomic_torch_save(path, checkpoint)


def check_not_replacing(request: RunRequest, replace: bool) -> None:
    """A folder holding a finished run of another configuration is kept unless ``replace``: a
    result may have cost days and cannot be recreated cheaply. The same run again is allowed."""
    metrics_file = Path(request.folder) / "metrics.json"
    if replace or not metrics_file.exists():
        return
    try:
        recorded = json.loads(metrics_file.read_text()).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        recorded = None
    if recorded != request.fingerprint:
        raise UserError(
            f"--out {request.folder} holds a finished run of another configuration (fingerprint "
            f"{recorded}, this run {request.fingerprint}); choose another folder, or --force to replace it"
        )


@contextlib.contextmanager
def removed_if_empty_on_failure(folder: Path):
    """Folders this run creates are removed again if it fails before anything is kept in them."""
    created = [p for p in (folder, *folder.parents) if not p.exists()]
    try:
        yield
    except BaseException:
        for path in created:  # innermost first
            try:
                path.rmdir()
            except OSError:
                break
        raise


def execute(request: RunRequest, place: Place = Place(), replace: bool = False) -> dict:
    """Train one run request and write its folder (``metrics.json``, ``matrix.csv``)."""
    check_not_replacing(request, replace)
    with removed_if_empty_on_failure(Path(request.folder)):
        return _train(request, place)


def _build(request: RunRequest, place: Place, streams: SeedStreams | None = None):
    """The device (checked against the compile mode), benchmark, scenario and method of a run, or of
    a packed chunk (``streams``: its seeds' random streams), built the same way for both."""
    device = resolve_device(place.device)
    check_compile_mode(place.compile, device)
    cfg = request.config
    bench = build_benchmark(request.benchmark, cfg, place.data_dir, place.download, place.dataset_dirs).to(device)
    scenario = Scenario(request.scenario, bench.n_tasks, bench.outputs_per_task, bench.regression)
    method = method_class(request.method)(Context(bench, scenario, cfg, device, streams, place.compile))
    return device, bench, scenario, method


def _train(request: RunRequest, place: Place) -> dict:
    cfg = request.config
    out = Path(request.folder)
    check_writable(out)
    started = time.perf_counter()
    seed_everything(request.seed)
    device, bench, scenario, method = _build(request, place)
    checkpoint_id = f"{request.fingerprint}-{device.type}-{CHECKPOINT_FORMAT}"
    generator = torch.Generator().manual_seed(request.seed)

    ckpt_path = out / "checkpoint.pt"
    state = LoopState()
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        if ckpt.get("fingerprint") == checkpoint_id:
            method.load_state_dict(ckpt["method"])
            set_rng_state(ckpt["rng"], generator)
            state = LoopState(**ckpt["loop"])
            log.info("%s: resuming after task %d from %s", request.name, state.next_phase, ckpt_path)
        else:
            log.warning("%s: ignoring %s (written for a different configuration)", request.name, ckpt_path)

    def on_phase_end(s: LoopState) -> None:
        save_checkpoint(
            ckpt_path,
            {"fingerprint": checkpoint_id, "method": method.state_dict(), "rng": rng_state(generator), "loop": vars(s)},
        )

    state = run_loop(bench, scenario, method, cfg, generator, state, on_phase_end, request.name)

    predictions = regression_predictions(bench, method.predictor) if bench.regression else None
    result = write_run(request, place, device, bench, state, method.info(), predictions, started)
    if not request.keep_checkpoint:
        ckpt_path.unlink(missing_ok=True)
    return result


def write_run(
    request: RunRequest,
    place: Place,
    device: torch.device,
    bench,
    state: LoopState,
    method_info: dict,
    predictions: list | None,
    started: float,
) -> dict:
    """The run folder's metrics.json and matrix.csv (the documented format)."""
    out, cfg = Path(request.folder), request.config
    summary = metrics.summarize(state.matrix, bench.metric)
    if predictions is not None:  # the toy regression's fits after all tasks (the paper's Fig. 2)
        summary["predictions"] = predictions
    runtime = {**provenance.runtime(device), "compile": place.compile}
    data = provenance.data_provenance(request.benchmark, cfg, place.data_dir, place.dataset_dirs)
    result = {
        "benchmark": request.benchmark,
        "dataset": data["dataset"],
        "label": request.label,
        "scenario": request.scenario,
        "method": request.method,
        "seed": request.seed,
        "fingerprint": request.fingerprint,
        "metric": bench.metric,
        "matrix": state.matrix,
        **summary,
        "wall_time_s": time.perf_counter() - started,
        "train_time_s": state.train_seconds,
        "iterations_per_s": state.train_steps / max(state.train_seconds, 1e-9),
        "device": runtime["device_name"] if device.type == "cuda" else "cpu",
        "method_info": method_info,
        "config": cfg,
        "sources": request.sources,
        "provenance": {"code": provenance.code_provenance(), "data": data, "runtime": runtime},
    }
    header = ",".join(f"task{i + 1}" for i in range(bench.n_tasks))
    rows = [",".join("" if v != v else f"{v:.6g}" for v in row) for row in state.matrix]
    atomic_write_text(out / "matrix.csv", "\n".join([header, *rows]) + "\n")
    try:
        atomic_write_json(out / "metrics.json", result)
    except UserError:  # no half-written folder: matrix.csv only beside its metrics.json (the checkpoint stays)
        (out / "matrix.csv").unlink(missing_ok=True)
        raise
    return result


def execute_packed(requests: list[RunRequest], place: Place = Place(), replace: bool = False) -> list[dict]:
    """Seeds of one cell trained as one batched model by the same loop (``run_seeds`` with the
    method's seed dimension, ``Context.streams``); a run folder per seed."""
    first = requests[0]
    if any(r.cell != first.cell for r in requests) or len({r.seed for r in requests}) != len(requests):
        raise ConfigError("packed seeds must be distinct seeds of one cell (benchmark, scenario, method, config)")
    for r in requests:
        check_not_replacing(r, replace)
        check_writable(Path(r.folder))
    why = first.pack_refusal()
    if why:
        raise ConfigError(f"{first.name}: {why}; run its seeds unpacked")
    cfg = first.config
    started = time.perf_counter()
    seeds = [r.seed for r in requests]
    streams = SeedStreams(seeds)
    device, bench, scenario, method = _build(first, place, streams)
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    states = [LoopState() for _ in seeds]
    # One checkpoint for the chunk, in its first seed's folder, after every task (as an unpacked run's).
    ckpt_path = Path(first.folder) / "checkpoint.pt"
    checkpoint_id = "+".join(r.fingerprint for r in requests) + f"-{device.type}-{CHECKPOINT_FORMAT}"
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        if ckpt.get("fingerprint") == checkpoint_id:
            method.load_state_dict(ckpt["method"])
            streams.states = list(ckpt["streams"])
            for g, state in zip(generators, ckpt["generators"]):
                g.set_state(state)
            states = [LoopState(**st) for st in ckpt["loop"]["seeds"]]
            log.info("%s: resuming after task %d from %s", first.name, states[0].next_phase, ckpt_path)
        else:
            log.warning("%s: ignoring %s (written for a different configuration)", first.name, ckpt_path)

    def on_phase_end(done: list[LoopState]) -> None:
        save_checkpoint(
            ckpt_path,
            {
                "fingerprint": checkpoint_id,
                "method": method.state_dict(),
                "streams": list(streams.states),
                "generators": [g.get_state() for g in generators],
                "loop": {"next_phase": done[0].next_phase, "seeds": [vars(st) for st in done]},
            },
        )

    states = run_seeds(
        bench, scenario, method, cfg, generators, states, on_phase_end, f"{first.label}/{first.scenario}/{first.method}"
    )
    results = []
    for k, (request, state) in enumerate(zip(requests, states)):
        predictions = (
            regression_predictions(bench, lambda t, k=k: lambda x: method.predictor(t)(x)[k])
            if bench.regression
            else None
        )
        results.append(write_run(request, place, device, bench, state, method.info(), predictions, started))
    ckpt_path.unlink(missing_ok=True)
    return results


@torch.no_grad()
def regression_predictions(bench, predictor) -> list[dict]:
    """``predictor(task)`` -> a function of the inputs, as ``Method.predictor``."""
    out = []
    for task in bench.tasks:
        x = task.x_test
        lo = task.index  # cl1: one output unit per task
        y = predictor(task.index)(x)[:, lo : lo + 1]
        out.append(
            {
                "task": task.index + 1,
                "x": x.flatten().tolist(),
                "y_true": task.y_test.flatten().tolist(),
                "y_pred": y.flatten().tolist(),
            }
        )
    return out
