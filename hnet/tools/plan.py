"""The cost model: predicted wall time of a configured DAG from short measured probes.

``snakemake --cores all --forcerun plan -- plan`` lists the DAG's training jobs (rule ``plan``,
workflow/rules/plan.smk) and calls this module; it also runs alone on such a job list
(``python -m hnet.tools.plan --jobs jobs.json``).

Per job class (benchmark x scenario x method x overrides) one probe on this device, with the
class's real data, network and method hooks: the first ``probe_tasks`` tasks, ``probe_iterations``
steps each, after a short warm-up. Per phase p it measures the training step, the end-of-task work
(EWC's Fisher, HNET's stored outputs, ...) and the evaluation per seen task; each is fitted as
a + b p over the probed phases (the regulariser's growth with the task count) and extrapolated to
the class's real phases, iteration counts (``phase_iterations``: iterations or epochs) and
evaluations (every seen task after every phase). A run = process start-up + data loading + that sum.
The makespan is a greedy longest-first schedule of all runs on the machine's cores (threads_per_run
each) or GPU shares; it assumes runs sharing a GPU do not slow each other (not measured).
Classes whose configs differ only in the value of a strength or rate (``COST_NEUTRAL``; whether
it is zero still counts: beta 0 switches the regulariser off) compute the same things and share
one probe (a sweep over lambda is probed once). Measured times of finished jobs (Snakemake's
``benchmark:`` files) are put beside the prediction.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from hnet.benchmarks import Scenario, build_benchmark
from hnet.core import Context, run_loop
from hnet.errors import UserError
from hnet.registry import method_class
from hnet.run.config import resolve
from hnet.run.execute import resolve_device
from hnet.run.seeding import seed_everything
from hnet.tools.plan_model import Probe, growth, linear, makespan, measured_seconds, predict  # noqa: F401
from hnet.tools.plan_report import hms, report

COST_NEUTRAL = ("lr", "beta", "ewc_lambda", "gamma", "si_c")


def cost_key(job: dict) -> str:
    """What decides a job class's cost: its cell and resolved config, strengths and rates reduced
    to whether they are zero."""
    cfg, _ = resolve(job["benchmark"], job["scenario"], job["method"], job["overrides"])
    reduced = {k: (bool(v) if k in COST_NEUTRAL else v) for k, v in cfg.items()}
    return json.dumps([job["benchmark"], job["scenario"], job["method"], reduced], sort_keys=True, default=str)


def probed_tasks(n_tasks: int, max_tasks: int, long_run: int = 12) -> int:
    """Tasks to probe: ``max_tasks``, but up to ``long_run`` for many-task benchmarks (one task in
    8): HNET's regulariser adds more per previous task over later tasks than over the first few,
    and a slope from 3 regularised phases misses most of it (PermutedMNIST-100 CL1 HNET: 23 h from 4 probed
    tasks, 110 h from 12; ``python -m hnet.bench --pm100`` measures 162 h of steps alone)."""
    return max(max_tasks, min(long_run, n_tasks // 8))


def probe(job: dict, data_dir: str, device, iterations: int, max_tasks: int):
    """(Probe, the class's resolved config, its real phases (lists of task ids), training samples per task)."""
    cfg, _ = resolve(job["benchmark"], job["scenario"], job["method"], job["overrides"])
    start = time.perf_counter()
    full = build_benchmark(job["benchmark"], cfg, data_dir, download=False).to(device)
    setup = time.perf_counter() - start
    bench = full.with_tasks(full.tasks[: min(full.n_tasks, probed_tasks(full.n_tasks, max_tasks))])
    scenario = Scenario(job["scenario"], bench.n_tasks, bench.outputs_per_task, bench.regression)
    short = {**cfg, "iterations": iterations, "epochs": 0}
    seed_everything(1)  # warm-up on one task: allocations, kernel selection, lazy imports
    first = bench.with_tasks(bench.tasks[:1])
    first_scenario = Scenario(job["scenario"], 1, bench.outputs_per_task, bench.regression)
    warm = method_class(job["method"])(Context(first, first_scenario, short, device))
    run_loop(first, first_scenario, warm, {**short, "iterations": 3}, torch.Generator().manual_seed(1))
    method = method_class(job["method"])(Context(bench, scenario, short, device))
    end_times, marks = [], []
    original_end = method.end_task

    def timed_end(p, data):
        t = time.perf_counter()
        original_end(p, data)
        if device.type == "cuda":
            torch.cuda.synchronize()
        end_times.append(time.perf_counter() - t)

    step_times: list[tuple[int, float]] = []
    original_step = method.train_step

    def timed_step(*args):
        t = time.perf_counter()
        out = original_step(*args)
        if device.type == "cuda":
            torch.cuda.synchronize()
        step_times.append((len(marks) - 1, time.perf_counter() - t))
        return out

    method.end_task = timed_end
    method.train_step = timed_step
    marks.append((time.perf_counter(), 0.0, 0))
    run_loop(
        bench,
        scenario,
        method,
        short,
        torch.Generator().manual_seed(1),
        on_phase_end=lambda st: marks.append((time.perf_counter(), st.train_seconds, st.train_steps)),
    )
    phases = method.phases(bench.n_tasks)
    result = Probe(setup, [], [], [])
    for p, task_ids in enumerate(phases):
        (w0, t0, s0), (w1, t1, s1) = marks[p], marks[p + 1]
        result.step.append((p, (t1 - t0) / max(s1 - s0, 1)))
        result.end_task.append((p, end_times[p]))
        result.eval_unit.append((p, max(w1 - w0 - (t1 - t0) - end_times[p], 0.0) / (max(task_ids) + 1)))
        own = [dt for q, dt in step_times if q == p]
        if own:
            result.step_median.append((p, statistics.median(own)))
    return result, cfg, method.phases(full.n_tasks), [len(task.y_train) for task in full.tasks]


def startup_seconds(threads: int) -> float:
    """What every training process costs besides its data and training: interpreter start, imports,
    method discovery, config resolution, provenance, writing the run folder. Measured once as the
    wall time of a whole ``python -m hnet run`` of one step per task on the toy regression."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "hnet",
                "run",
                "--benchmark",
                "regression",
                "--scenario",
                "cl1",
                "--method",
                "finetune",
                "--seed",
                "1",
                "--set",
                "iterations=1",
                "--device",
                "cpu",
                "--out",
                f"{tmp}/run",
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "OMP_NUM_THREADS": str(threads)},
        )
        return time.perf_counter() - start


def plan(
    jobs: list[dict], data_dir: str, device, iterations: int, max_tasks: int, cores: int, gpus: int, threads: int
) -> tuple[str, list[dict]]:
    startup = startup_seconds(threads)
    rows, probes = [], {}
    for job in jobs:
        t = time.perf_counter()
        key = cost_key(job)
        try:
            if key not in probes:
                probes[key] = probe(job, data_dir, device, iterations, max_tasks)
            pr, cfg, phases, n_train = probes[key]
        except UserError as err:  # data files absent: say so, predict the rest
            rows.append({**job, "predicted_s": None, "measured_s": [], "probe_s": 0.0, "not_probed": str(err)})
            print(f"not probed {job['label']}/{job['scenario']}/{job['method']}: {err}", file=sys.stderr)
            continue
        per_run = predict(pr, cfg, phases, n_train, startup)
        measured = measured_seconds(job["measured"], job["seeds"]) if job.get("measured") else []
        rows.append(
            {
                **job,
                "predicted_s": per_run,
                "measured_s": measured,
                "probe_s": time.perf_counter() - t,
                "probe": {
                    "setup_s": pr.setup_s,
                    "step": pr.step,
                    "end_task": pr.end_task,
                    "eval_unit": pr.eval_unit,
                    "step_median": pr.step_median,
                },
                "step_ms_first": 1000 * pr.step[0][1],
                "step_ms_last_probed": 1000 * pr.step[-1][1],
            }
        )
        print(
            f"probed {job['rule']} {job['label']}/{job['scenario']}/{job['method']} {job.get('point', '')}: "
            f"{hms(per_run)} per run",
            file=sys.stderr,
        )
    on_gpu = device.type == "cuda"
    capacity = {"cores": cores, **({"gpu_share": 100 * gpus} if on_gpu else {})}
    runs = [
        (r["predicted_s"], {"cores": threads, **({"gpu_share": r["gpu_share"]} if on_gpu else {})})
        for r in rows
        if r["predicted_s"] is not None
        for _ in r["seeds"]
    ]
    total = sum(s for s, _ in runs)
    span = makespan(runs, capacity)
    return report(rows, device, total, span, capacity, iterations, max_tasks, startup), rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m hnet.tools.plan", description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", required=True, help="JSON list of job classes (written by the workflow's plan rule)")
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--probe-iterations", type=int, default=20)
    ap.add_argument("--probe-tasks", type=int, default=4)
    ap.add_argument("--cores", type=int, default=None, help="cores for the schedule (default: this machine's)")
    ap.add_argument("--gpus", type=int, default=1)
    ap.add_argument("--threads-per-run", type=int, default=1)
    ap.add_argument("--out", help="write the Markdown report here (default: print it)")
    ap.add_argument("--csv", help="write one row per job class here")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads_per_run)
    device = resolve_device(args.device)
    jobs = json.loads(Path(args.jobs).read_text())
    text, rows = plan(
        jobs,
        args.data_dir,
        device,
        args.probe_iterations,
        args.probe_tasks,
        args.cores or os.cpu_count(),
        args.gpus,
        args.threads_per_run,
    )
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)
    else:
        print(text)
    if args.out:  # the raw probes, so that a changed model can be re-applied without probing again
        Path(args.out).with_suffix(".probes.json").write_text(json.dumps(rows, indent=1, default=str))
    if args.csv:
        import csv

        with open(args.csv, "w", newline="") as fh:
            keys = [
                "rule",
                "label",
                "scenario",
                "method",
                "point",
                "runs",
                "predicted_s",
                "measured_median_s",
                "probe_s",
            ]
            w = csv.DictWriter(fh, keys)
            w.writeheader()
            for r in rows:
                w.writerow(
                    {
                        **{k: r.get(k, "") for k in keys[:5]},
                        "runs": len(r["seeds"]),
                        "predicted_s": "" if r["predicted_s"] is None else f"{r['predicted_s']:.2f}",
                        "probe_s": f"{r['probe_s']:.1f}",
                        "measured_median_s": f"{statistics.median(r['measured_s']):.2f}" if r["measured_s"] else "",
                    }
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
