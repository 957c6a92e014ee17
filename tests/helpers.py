"""Small objects shared by tests."""

import torch

from hnet.benchmarks import Benchmark, Scenario, Task
from hnet.core import Context


def code_defaults() -> dict:
    """Every code default of every registered method and of the run (what resolve() starts from)."""
    from hnet.registry import methods
    from hnet.run.config import RUN_SETTINGS
    from hnet.settings import REQUIRED

    settings = [RUN_SETTINGS, *(cls.all_settings() for cls in methods().values())]
    return {k: v.default for group in settings for k, v in group.items() if v.default is not REQUIRED}


BASE_CFG = {
    "iterations": 10,
    "batch_size": 8,
    "eval_batch_size": 64,
    "lr": 0.01,
    "adam_beta1": 0.9,
    "adam_beta2": 0.999,
    "target_hidden": [6],
    "target_activation": "relu",
    "hnet_type": "chunked",
    "hnet_hidden": [5],
    "hnet_activation": "elu",
    "emb_dim": 3,
    "chunk_emb_dim": 2,
    "chunk_size": 17,
    "beta": 0.01,
    "lookahead": True,
    "reg_impl": "gram",
    "reg_targets": "stored",
    "reg_subset": 0,
    "hnet_from_scratch": False,
    "ewc_lambda": 1.0,
    "gamma": 1.0,
    "fisher_samples": None,
    "si_c": 1.0,
    "si_epsilon": 0.1,
}


def toy_benchmark(n_tasks=3, per_task=2, in_dim=4, n=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    tasks = []
    for t in range(n_tasks):
        x = torch.randn(n, in_dim, generator=g)
        y = torch.randint(0, per_task, (n,), generator=g)
        tasks.append(Task(t, x, y, x.clone(), y.clone(), classes=list(range(t * per_task, (t + 1) * per_task))))
    return Benchmark("toy", tasks, (in_dim,), per_task)


def context(scenario="cl1", n_tasks=3, **overrides):
    bench = toy_benchmark(n_tasks)
    sc = Scenario(scenario, bench.n_tasks, bench.outputs_per_task)
    cfg = {**code_defaults(), **BASE_CFG, **overrides}
    return Context(bench, sc, cfg, torch.device("cpu"))


def tiny_hnet_method(n_tasks=3, **overrides):
    from hnet.methods.hnet import HNET

    torch.manual_seed(0)
    ctx = context("cl1", n_tasks, **overrides)
    method = HNET(ctx)

    def batch(task):
        t = ctx.benchmark.tasks[task]
        return t.x_train[:8], t.y_train[:8], torch.full((8,), task)

    return method, batch


def workflow_config(name: str, benchmarks: dict, **top) -> dict:
    """A test configuration layered over config/config.yaml (Snakemake merges it in): only the given
    benchmarks run, and the paper configuration's sweeps, Fig. 4 run and ENT study are off unless
    given."""
    import yaml

    from tests.conftest import REPO

    paper = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg = {
        "name": name,
        "threads_per_run": 1,
        "sweeps": [],
        "embedding_grid": {"enabled": False},
        "ent_study": {"enabled": False},
        **top,
    }
    cfg["benchmarks"] = {**{b: {"enabled": False} for b in paper["benchmarks"]}, **benchmarks}
    return cfg


def run_argv(benchmark, scenario, method, seed, out, data, sets=(), *flags, device="cpu") -> list[str]:
    """``python -m hnet run`` arguments for one run on local data (no download); ``sets`` are
    ``key=value`` strings, ``flags`` further options (e.g. ``--keep-checkpoint``); ``device=None`` omits it."""
    argv = [
        "run",
        "--benchmark",
        benchmark,
        "--scenario",
        scenario,
        "--method",
        method,
        "--seed",
        str(seed),
        "--out",
        str(out),
        "--data-dir",
        str(data),
        "--no-download",
        *flags,
    ]
    if device is not None:
        argv += ["--device", device]
    for s in sets:
        argv += ["--set", s]
    return argv
