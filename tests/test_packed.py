"""Seeds packed into one batched model equal the unpacked runs of the same seeds (float64, CPU):
the same loop (``run_seeds``), with and without a learning-rate schedule."""

from __future__ import annotations

import pytest
import torch

from hnet.benchmarks import Benchmark, Scenario, Task
from hnet.core import Context, LoopState, SeedStreams, run_loop, run_seeds
from hnet.registry import method_class, method_names
from hnet.run.config import resolve
from hnet.run.request import RunRequest
from hnet.run.seeding import seed_everything

SEEDS = (1, 2, 5)
SMALL = {
    "n_tasks": 3,
    "iterations": 15,
    "batch_size": 8,
    "target_hidden": [12],
    "fisher_samples": 24,
    "hnet_hidden": [5],
    "emb_dim": 4,
    "chunk_emb_dim": 3,
    "chunk_size": 60,
}
# keras' CIFAR schedule: x0.1 after epoch 80. 32 samples
# in batches of 16 are 2 steps an epoch, 170 steps per task reach epoch 85: the rate drops within every task.
SCHEDULED = {**SMALL, "iterations": 170, "batch_size": 16, "lr_lambda": True, "lr": 0.01}
TOL = 1e-9  # percentage points (accuracy) on float64: only summation order may differ


def stream(n_tasks=3):
    g = torch.Generator().manual_seed(0)
    tasks = []
    for t in range(n_tasks):
        x = torch.rand(96, 20, generator=g, dtype=torch.float64)
        y = (x[:, t] + x[:, t + 3] > 1).long()  # learnable, different per task
        tasks.append(Task(t, x[:32], y[:32], x[32:], y[32:], [2 * t, 2 * t + 1]))
    return Benchmark("split_mnist", tasks, (20,), 2)


def unpacked(bench, scenario, name, cfg, seed):
    seed_everything(seed)
    method = method_class(name)(Context(bench, scenario, cfg, torch.device("cpu")))
    return run_loop(bench, scenario, method, cfg, torch.Generator().manual_seed(seed)).matrix


def packed(bench, scenario, name, cfg, seeds):
    method = method_class(name)(Context(bench, scenario, cfg, torch.device("cpu"), SeedStreams(seeds)))
    return run_seeds(
        bench, scenario, method, cfg, [torch.Generator().manual_seed(s) for s in seeds], [LoopState() for _ in seeds]
    )


def small_cfg(name, scenario_name, extra):
    base = resolve("split_mnist", scenario_name, name)[0]
    return resolve("split_mnist", scenario_name, name, {k: v for k, v in extra.items() if k in base})[0]


PACKABLE = [m for m in method_names() if method_class(m).packable]


def test_the_baselines_and_hnet_are_packable():
    assert {"finetune", "ewc", "online_ewc", "si", "hnet"} <= set(PACKABLE)


@pytest.mark.parametrize("settings", [SMALL, SCHEDULED], ids=["constant_lr", "lr_lambda"])
@pytest.mark.parametrize("name", PACKABLE)
@pytest.mark.parametrize("scenario_name", ["cl1", "cl3"])
def test_packed_seed_k_equals_the_unpacked_run_of_seed_k(float64, name, scenario_name, settings):
    if scenario_name not in method_class(name).supports:
        pytest.skip(f"{name} has no {scenario_name}")
    if settings is SCHEDULED and scenario_name == "cl3":
        pytest.skip("one scenario is enough for the schedule")
    cfg = small_cfg(name, scenario_name, settings)
    bench = stream()
    scenario = Scenario(scenario_name, 3, 2)
    states = packed(bench, scenario, name, cfg, SEEDS)
    for seed, state in zip(SEEDS, states):
        reference = unpacked(bench, scenario, name, cfg, seed)
        assert torch.allclose(torch.tensor(state.matrix), torch.tensor(reference), atol=TOL, rtol=0, equal_nan=True), (
            seed,
            state.matrix,
            reference,
        )
    assert states[0].matrix != states[1].matrix  # the seeds really differ
    if settings is SCHEDULED:  # and the schedule really acted
        assert states[0].matrix != unpacked(bench, scenario, name, {**cfg, "lr_lambda": False}, SEEDS[0])


def test_a_seed_does_not_depend_on_its_companions(float64):
    cfg = small_cfg("ewc", "cl1", SMALL)
    bench, scenario = stream(), Scenario("cl1", 3, 2)
    alone = packed(bench, scenario, "ewc", cfg, (5,))
    together = packed(bench, scenario, "ewc", cfg, (1, 5, 9))
    assert torch.allclose(torch.tensor(alone[0].matrix), torch.tensor(together[1].matrix), atol=TOL, equal_nan=True)


def test_methods_and_settings_that_cannot_be_packed_say_why():
    unpackable = [m for m in method_names() if not method_class(m).packable]
    assert unpackable  # e.g. joint training, the replay methods
    assert "cannot be packed" in RunRequest("split_mnist", "cl3", unpackable[0], 1).pack_refusal()
    assert RunRequest("split_mnist", "cl1", "hnet", 1).pack_refusal() is None
    assert "ResNet cannot apply stacked weights" in RunRequest("split_cifar", "cl1", "ewc", 1).pack_refusal()
    assert "reg_subset" in RunRequest("split_mnist", "cl1", "hnet", 1, {"reg_subset": 2}).pack_refusal()
    plateau = RunRequest("split_mnist", "cl1", "ewc", 1, {"lr_plateau": True, "lr_val_fraction": 0.1})
    assert "lr_plateau" in plateau.pack_refusal()
    with pytest.raises(ValueError, match="lr_plateau"):
        packed(stream(), Scenario("cl1", 3, 2), "ewc", {**small_cfg("ewc", "cl1", SMALL), "lr_plateau": True}, SEEDS)


def test_a_killed_packed_run_resumes_to_the_same_matrices(synthetic_mnist, tmp_path, caplog):
    """Packed seeds checkpoint after every task like one seed: killed after task 1 and started
    again, the chunk continues and every seed's matrix equals an uninterrupted packed run's."""
    import json
    import subprocess
    import sys

    from hnet.run.cli import main
    from tests.conftest import REPO

    def argv(out):
        return [
            "run-packed",
            "--benchmark",
            "split_mnist",
            "--scenario",
            "cl1",
            "--method",
            "hnet",
            "--seeds",
            "1,2",
            "--out",
            str(out / "seed{seed}"),
            "--data-dir",
            str(synthetic_mnist),
            "--no-download",
            "--device",
            "cpu",
            "--set",
            "n_tasks=5",
            "--set",
            "iterations=10",
            "--set",
            "target_hidden=[16]",
            "--set",
            "hnet_hidden=[4]",
            "--set",
            "chunk_size=2000",
            "--set",
            "emb_dim=4",
            "--set",
            "chunk_emb_dim=4",
        ]

    assert main(argv(tmp_path / "whole")) == 0
    proc = subprocess.run(
        [sys.executable, "-m", "tests.kill_after_task", "1", *argv(tmp_path / "killed")],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == -9, proc.stderr
    assert (tmp_path / "killed" / "seed1" / "checkpoint.pt").exists()
    with caplog.at_level("INFO", logger="hnet"):
        assert main(argv(tmp_path / "killed")) == 0
    assert "resuming after task 1" in caplog.text  # continued, not started over
    for seed in (1, 2):
        whole, killed = (
            json.loads((tmp_path / run / f"seed{seed}" / "metrics.json").read_text()) for run in ("whole", "killed")
        )
        assert killed["matrix"] == whole["matrix"]
    assert not (tmp_path / "killed" / "seed1" / "checkpoint.pt").exists()
