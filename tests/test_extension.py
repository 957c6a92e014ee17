"""The extension contract, for every registered method (not a hand-kept list): a method runs one
task, and everything it learned survives a checkpoint (``state``) so that a killed and resumed run
is identical to an uninterrupted one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from hnet.benchmarks import Benchmark, Scenario, Task
from hnet.core import Context, PhaseData, TargetNetMethod
from hnet.registry import method_class, method_names, supported
from hnet.run.cli import main
from hnet.run.config import resolve
from tests.conftest import REPO
from tests.contract import differences, snapshot
from tests.helpers import run_argv

# Small values for every size a method may read; each run takes the ones its config has.
TINY = {
    "n_tasks": 3,
    "iterations": 12,
    "batch_size": 16,
    "target_hidden": [24],
    "hnet_hidden": [6],
    "emb_dim": 4,
    "chunk_emb_dim": 4,
    "chunk_size": 3000,
    "fisher_samples": 48,
    "vae_enc_hidden": [16],
    "vae_dec_hidden": [16],
    "vae_latent": 4,
    "vae_hnet_hidden": [6],
    "vae_emb_dim": 4,
    "vae_chunk_emb_dim": 4,
    "vae_chunk_size": 3000,
    "tir_hidden": [16],
}


def first_cell(method: str) -> tuple[str, str]:
    """A PermutedMNIST scenario the method supports (flat inputs, like every method's)."""
    for sc in ("cl1", "cl2", "cl3"):
        if supported("permuted_mnist", sc, method):
            return "permuted_mnist", sc
    raise AssertionError(f"method {method!r} supports no PermutedMNIST scenario")


def tiny_config(method: str, scenario: str) -> dict:
    base, _ = resolve("permuted_mnist", scenario, method)
    return resolve("permuted_mnist", scenario, method, {k: v for k, v in TINY.items() if k in base})[0]


def toy_stream(n_tasks: int, seed: int = 0) -> Benchmark:
    g = torch.Generator().manual_seed(seed)
    tasks = []
    for t in range(n_tasks):
        x = torch.rand(64, 1024, generator=g)
        y = torch.randint(0, 10, (64,), generator=g)
        tasks.append(Task(t, x, y, x[:32], y[:32], list(range(10))))
    return Benchmark("permuted_mnist", tasks, (1024,), 10)


def train_task(method, bench, cfg, task, generator):
    method.begin_task(task)
    data = PhaseData([bench.tasks[task]], cfg["batch_size"], generator, torch.device("cpu"))
    for _ in range(cfg["iterations"]):
        x, y, tids = data.next_batch()
        method.train_step(x, y, tids, task + 1)
    method.end_task(task, data)


@pytest.mark.parametrize("name", method_names())
def test_method_state_survives_a_checkpoint(name):
    """After task 1, a fresh method loaded from ``state_dict`` holds exactly what the trained one does,
    once both begin task 2: a method that forgets to declare some learned state fails here."""
    _, scenario = first_cell(name)
    cfg = tiny_config(name, scenario)
    bench = toy_stream(cfg["n_tasks"])
    ctx = Context(bench, Scenario(scenario, bench.n_tasks, 10), cfg, torch.device("cpu"))
    torch.manual_seed(0)
    trained = method_class(name)(ctx)
    if len(trained.phases(bench.n_tasks)) == 1:
        pytest.skip(f"{name} trains all tasks in one phase: nothing continues after a checkpoint")
    train_task(trained, bench, cfg, 0, torch.Generator().manual_seed(1))
    saved = trained.state_dict()
    torch.manual_seed(123)  # a different initialisation: everything learned must come from the checkpoint
    resumed = method_class(name)(ctx)
    resumed.load_state_dict(saved)
    for m in (trained, resumed):
        torch.manual_seed(7)
        m.begin_task(1)
    assert differences(snapshot(trained), snapshot(resumed)) == []


def test_a_method_that_forgets_its_state_is_caught():
    class Forgetful(TargetNetMethod):
        name = "forgetful"

        def end_task(self, task, data):
            self.anchor = [p.detach().clone() for p in self.params]  # not declared in `state`

    cfg = {**tiny_config("finetune", "cl1")}
    bench = toy_stream(3)
    ctx = Context(bench, Scenario("cl1", 3, 10), cfg, torch.device("cpu"))
    trained = Forgetful(ctx)
    train_task(trained, bench, cfg, 0, torch.Generator().manual_seed(1))
    resumed = Forgetful(ctx)
    resumed.load_state_dict(trained.state_dict())
    assert any(d.startswith(".anchor") for d in differences(snapshot(trained), snapshot(resumed)))


def cli_args(data, out, name):
    benchmark, scenario = first_cell(name)
    cfg = resolve(benchmark, scenario, name)[0]
    return run_argv(
        benchmark, scenario, name, 3, out, data, [f"{k}={json.dumps(v)}" for k, v in TINY.items() if k in cfg]
    )


@pytest.mark.parametrize("name", method_names())
def test_killed_run_resumes_to_identical_results(synthetic_mnist, tmp_path, name):
    """One task runs (the smoke test); a job killed after task 1 and started again gives the same matrix."""
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert main(cli_args(synthetic_mnist, whole, name)) == 0
    result = json.loads((whole / "metrics.json").read_text())
    assert len(result["matrix"]) >= 1 and all(v == v for v in result["final"])
    if len(result["matrix"]) == 1:
        return  # one phase (joint training): nothing to resume
    proc = subprocess.run(
        [sys.executable, "-m", "tests.kill_after_task", "1", *cli_args(synthetic_mnist, killed, name)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == -9, proc.stderr
    assert not (killed / "metrics.json").exists() and (killed / "checkpoint.pt").exists()
    assert main(cli_args(synthetic_mnist, killed, name)) == 0  # started again: continues after task 1
    assert json.loads((killed / "metrics.json").read_text())["matrix"] == result["matrix"]
    assert not (killed / "checkpoint.pt").exists()
