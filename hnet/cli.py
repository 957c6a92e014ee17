"""``python -m hnet run|list``: argument parsing, config resolution, resumable runs, results files."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch

import hnet
from hnet import metrics
from hnet.benchmarks import BUILDERS, SCENARIOS, Scenario, build_benchmark, scenarios_of
from hnet.config import ConfigError, read_overrides, resolve
from hnet.io import atomic_torch_save, atomic_write_json, atomic_write_text
from hnet.loop import DivergenceError, LoopState, run_loop
from hnet.methods import Context, method_class, method_names
from hnet.seeding import rng_state, seed_everything, set_rng_state

log = logging.getLogger("hnet")


def supported(benchmark: str, scenario: str, method: str) -> bool:
    return scenario in scenarios_of(benchmark) and scenario in method_class(method).supports


def grid() -> dict:
    """Every benchmark's scenarios and every method's supported scenarios (for the workflow)."""
    return {
        "benchmarks": {b: list(scenarios_of(b)) for b in sorted(BUILDERS)},
        "methods": {m: sorted(method_class(m).supports) for m in method_names()},
    }


def validate_choices(benchmark: str, scenario: str, method: str) -> None:
    if benchmark not in BUILDERS:
        raise ConfigError(f"unknown benchmark {benchmark!r}; valid: {sorted(BUILDERS)}")
    if scenario not in SCENARIOS:
        raise ConfigError(f"unknown scenario {scenario!r}; valid: {list(SCENARIOS)}")
    if method not in method_names():
        raise ConfigError(f"unknown method {method!r}; valid: {method_names()}")
    if not supported(benchmark, scenario, method):
        ok = sorted(set(scenarios_of(benchmark)) & method_class(method).supports)
        raise ConfigError(f"method {method!r} does not support scenario {scenario!r} on {benchmark!r}; "
                          f"supported scenarios: {ok}")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda requested but CUDA is not available")
    return torch.device(name)


def fingerprint(run: dict) -> str:
    return hashlib.sha256(json.dumps(run, sort_keys=True, default=str).encode()).hexdigest()[:16]


def run(args: argparse.Namespace, fault=None) -> dict:
    validate_choices(args.benchmark, args.scenario, args.method)
    cfg, sources = resolve(args.benchmark, args.scenario, args.method, read_overrides(args.config, args.set))
    device = resolve_device(args.device)
    out = Path(args.out)
    label = f"{args.benchmark}/{args.scenario}/{args.method}/seed{args.seed}"
    run_id = {"benchmark": args.benchmark, "scenario": args.scenario, "method": args.method, "seed": args.seed,
              "config": cfg, "device": device.type}
    started = time.perf_counter()

    seed_everything(args.seed)
    bench = build_benchmark(args.benchmark, {**cfg, "data_dir": args.data_dir, "download": not args.no_download})
    bench = bench.to(device)
    scenario = Scenario(args.scenario, bench.n_tasks, bench.outputs_per_task, bench.regression)
    method = method_class(args.method)(Context(bench, scenario, cfg, device))
    generator = torch.Generator().manual_seed(args.seed)

    ckpt_path = out / "checkpoint.pt"
    state = LoopState()
    if ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        if ckpt.get("fingerprint") == fingerprint(run_id):
            method.load_state_dict(ckpt["method"])
            set_rng_state(ckpt["rng"], generator)
            state = LoopState(**ckpt["loop"])
            log.info("%s: resuming after task %d from %s", label, state.next_phase, ckpt_path)
        else:
            log.warning("%s: ignoring %s (written for a different configuration)", label, ckpt_path)

    def save_checkpoint(s: LoopState) -> None:
        atomic_torch_save(ckpt_path, {"fingerprint": fingerprint(run_id), "method": method.state_dict(),
                                      "rng": rng_state(generator), "loop": vars(s)})
        # Test hook: die as a killed job would, right after a checkpoint (tests/test_resume.py).
        if os.environ.get("HNET_TEST_KILL_AFTER_TASK") == str(s.next_phase):
            os.kill(os.getpid(), signal.SIGKILL)

    state = run_loop(bench, scenario, method, cfg, generator, state, save_checkpoint, label, fault)

    summary = metrics.summarize(state.matrix, bench.metric)
    if bench.regression:  # the toy regression's fits after all tasks (the paper's Fig. 2)
        summary["predictions"] = regression_predictions(bench, method)
    result = {
        "benchmark": args.benchmark, "scenario": args.scenario, "method": args.method, "seed": args.seed,
        "metric": bench.metric, "matrix": state.matrix, **summary,
        "wall_time_s": time.perf_counter() - started,
        "train_time_s": state.train_seconds,
        "iterations_per_s": state.train_steps / max(state.train_seconds, 1e-9),
        "device": device.type if device.type == "cpu" else torch.cuda.get_device_name(device),
        "method_info": method.info(), "config": cfg, "sources": sources,
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "hnet": hnet.__version__,
                     "numpy": np.__version__},
    }
    header = ",".join(f"task{i + 1}" for i in range(bench.n_tasks))
    rows = [",".join("" if v != v else f"{v:.6g}" for v in row) for row in state.matrix]
    atomic_write_text(out / "matrix.csv", "\n".join([header, *rows]) + "\n")
    atomic_write_json(out / "metrics.json", result)
    if not cfg.get("keep_checkpoint", args.keep_checkpoint):
        ckpt_path.unlink(missing_ok=True)
    return result


@torch.no_grad()
def regression_predictions(bench, method) -> list[dict]:
    out = []
    for task in bench.tasks:
        x = task.x_test
        lo = task.index  # cl1: one output unit per task
        y = method.predictor(task.index)(x)[:, lo : lo + 1]
        out.append({"task": task.index + 1, "x": x.flatten().tolist(), "y_true": task.y_test.flatten().tolist(),
                    "y_pred": y.flatten().tolist()})
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hnet", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="train one benchmark x scenario x method x seed and write its results")
    r.add_argument("--benchmark", required=True)
    r.add_argument("--scenario", required=True)
    r.add_argument("--method", required=True)
    r.add_argument("--seed", type=int, required=True)
    r.add_argument("--out", required=True, help="run folder: metrics.json, matrix.csv, checkpoint.pt")
    r.add_argument("--config", help="YAML file of config overrides (key: value)")
    r.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one config value")
    r.add_argument("--data-dir", default="data", help="torchvision root holding MNIST/raw (default: data)")
    r.add_argument("--no-download", action="store_true", help="never download datasets")
    r.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    r.add_argument("--keep-checkpoint", action="store_true", help="keep checkpoint.pt after finishing")
    lst = sub.add_parser("list", help="print benchmarks, scenarios and methods as JSON")
    lst.add_argument("--json", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    args = build_parser().parse_args(argv)
    if args.command == "list":
        print(json.dumps(grid(), indent=2))
        return 0
    try:
        result = run(args)
    except (ConfigError, FileNotFoundError) as err:
        log.error("%s", err)
        return 2
    except DivergenceError as err:
        log.error("diverged: %s", err)
        return 3
    log.info("%s final mean %s: %.4g", args.out, result["metric"], result["final_mean"])
    return 0
