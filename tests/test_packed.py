"""Seeds packed into one batched model equal the unpacked runs of the same seeds (float64, CPU)."""

from __future__ import annotations

import pytest
import torch

from hnet.benchmarks import Benchmark, Scenario, Task
from hnet.core import Context, run_loop
from hnet.registry import method_class, method_names
from hnet.run.config import resolve
from hnet.run.packed import check_packable, pack_unsupported_reason, run_packed
from hnet.run.seeding import seed_everything

SEEDS = (1, 2, 5)
SMALL = {"n_tasks": 3, "iterations": 15, "batch_size": 8, "target_hidden": [12], "fisher_samples": 24,
         "hnet_hidden": [5], "emb_dim": 4, "chunk_emb_dim": 3, "chunk_size": 60}
TOL = 1e-9  # percentage points (accuracy) on float64: only summation order may differ



def stream(n_tasks=3):
    g = torch.Generator().manual_seed(0)
    tasks = []
    for t in range(n_tasks):
        x = torch.rand(48, 20, generator=g, dtype=torch.float64)
        y = (x[:, t] + x[:, t + 3] > 1).long()  # learnable, different per task
        tasks.append(Task(t, x[:32], y[:32], x[32:], y[32:], [2 * t, 2 * t + 1]))
    return Benchmark("split_mnist", tasks, (20,), 2)


def unpacked(bench, scenario, name, cfg, seed):
    seed_everything(seed)
    method = method_class(name)(Context(bench, scenario, cfg, torch.device("cpu")))
    return run_loop(bench, scenario, method, cfg, torch.Generator().manual_seed(seed)).matrix


PACKABLE = [m for m in method_names() if method_class(m).packable]


def test_the_baselines_and_hnet_are_packable():
    assert {"finetune", "ewc", "online_ewc", "si", "hnet"} <= set(PACKABLE)


@pytest.mark.parametrize("name", PACKABLE)
@pytest.mark.parametrize("scenario_name", ["cl1", "cl3"])
def test_packed_seed_k_equals_the_unpacked_run_of_seed_k(float64, name, scenario_name):
    if scenario_name not in method_class(name).supports:
        pytest.skip(f"{name} has no {scenario_name}")
    base = resolve("split_mnist", scenario_name, name)[0]
    cfg = resolve("split_mnist", scenario_name, name, {k: v for k, v in SMALL.items() if k in base})[0]
    bench = stream()
    scenario = Scenario(scenario_name, 3, 2)
    _, states, _ = run_packed(bench, scenario, name, cfg, SEEDS, torch.device("cpu"))
    for seed, state in zip(SEEDS, states):
        reference = unpacked(bench, scenario, name, cfg, seed)
        assert torch.allclose(torch.tensor(state.matrix), torch.tensor(reference), atol=TOL, rtol=0, equal_nan=True), \
            (seed, state.matrix, reference)
    assert states[0].matrix != states[1].matrix  # the seeds really differ


def test_a_seed_does_not_depend_on_its_companions(float64):
    base = resolve("split_mnist", "cl1", "ewc")[0]
    cfg = resolve("split_mnist", "cl1", "ewc", {k: v for k, v in SMALL.items() if k in base})[0]
    bench, scenario = stream(), Scenario("cl1", 3, 2)
    _, alone, _ = run_packed(bench, scenario, "ewc", cfg, (5,), torch.device("cpu"))
    _, packed, _ = run_packed(bench, scenario, "ewc", cfg, (1, 5, 9), torch.device("cpu"))
    assert torch.allclose(torch.tensor(alone[0].matrix), torch.tensor(packed[1].matrix), atol=TOL, equal_nan=True)


def test_methods_that_cannot_be_packed_say_so():
    unpackable = [m for m in method_names() if not method_class(m).packable]
    assert unpackable  # e.g. joint training, the replay methods
    with pytest.raises(ValueError, match="cannot be packed"):
        check_packable(unpackable[0], {}, (784,))


def test_only_targets_that_take_stacked_weights_are_packed():
    assert pack_unsupported_reason("hnet", resolve("split_mnist", "cl1", "hnet")[0], (784,)) is None
    cifar = resolve("split_cifar", "cl1", "ewc")[0]
    assert "ResNet cannot apply stacked weights" in pack_unsupported_reason("ewc", cifar, (3, 32, 32))
