"""End to end through ``python -m hnet run`` on synthetic MNIST in torchvision's on-disk format."""

import json
import subprocess
import sys

import pytest

from hnet.run.cli import main
from tests.helpers import run_argv

SMALL_HNET = ["target_hidden=[50]", "hnet_hidden=[16]", "emb_dim=8", "chunk_emb_dim=8", "chunk_size=4000"]
KEYS = {
    "benchmark",
    "dataset",
    "label",
    "scenario",
    "method",
    "seed",
    "fingerprint",
    "metric",
    "matrix",
    "final",
    "during",
    "final_mean",
    "during_mean",
    "bwt",
    "forgetting",
    "wall_time_s",
    "iterations_per_s",
    "device",
    "config",
    "sources",
    "provenance",
}


def run_cli(data, out, benchmark="permuted_mnist", scenario="cl1", method="hnet", seed=1, sets=()):
    return main(run_argv(benchmark, scenario, method, seed, out, data, sets))


def load(out):
    return json.loads((out / "metrics.json").read_text())


def test_regulariser_prevents_forgetting_that_happens_without_it(synthetic_mnist, tmp_path):
    common = ["n_tasks=2", "iterations=300", "lr=0.005", *SMALL_HNET]
    assert run_cli(synthetic_mnist, tmp_path / "b0", sets=[*common, "beta=0"]) == 0
    assert run_cli(synthetic_mnist, tmp_path / "b1", sets=[*common, "beta=0.05"]) == 0
    fine, protected = load(tmp_path / "b0"), load(tmp_path / "b1")
    assert fine["matrix"][0][0] > 95 and protected["matrix"][0][0] > 95
    assert fine["final"][0] < 70, "beta=0 should forget the first permutation"
    assert protected["final"][0] > 95, "beta>0 should keep it"
    assert protected["final"][1] > 95


def test_metrics_json_has_the_documented_keys_and_matrix_csv(synthetic_mnist, tmp_path):
    out = tmp_path / "r"
    assert run_cli(synthetic_mnist, out, "split_mnist", sets=["iterations=20", *SMALL_HNET]) == 0
    result = load(out)
    assert KEYS <= set(result)
    assert len(result["matrix"]) == 5 and all(len(r) == 5 for r in result["matrix"])
    assert result["matrix"][0][1] is None  # tasks not yet trained are not evaluated
    assert result["metric"] == "accuracy" and result["provenance"]["code"]["torch"]
    assert result["dataset"] == "mnist" and result["label"] == "split_mnist"
    assert result["method_info"]["compression_ratio"] > 0
    lines = (out / "matrix.csv").read_text().splitlines()
    assert lines[0] == "task1,task2,task3,task4,task5" and len(lines) == 6
    assert not (out / "checkpoint.pt").exists()


def test_same_seed_same_matrix_on_cpu(synthetic_mnist, tmp_path):
    sets = ["n_tasks=2", "iterations=30", *SMALL_HNET]
    run_cli(synthetic_mnist, tmp_path / "a", sets=sets)
    run_cli(synthetic_mnist, tmp_path / "b", sets=sets)
    run_cli(synthetic_mnist, tmp_path / "c", seed=2, sets=sets)
    a, b, c = load(tmp_path / "a"), load(tmp_path / "b"), load(tmp_path / "c")
    assert a["matrix"] == b["matrix"]
    assert a["config"] == b["config"]
    assert (tmp_path / "a" / "matrix.csv").read_text() == (tmp_path / "b" / "matrix.csv").read_text()
    assert c["seed"] == 2


@pytest.mark.parametrize(
    "args,message",
    [
        (["--benchmark", "cifar", "--scenario", "cl1", "--method", "hnet"], "unknown benchmark 'cifar'; valid: "),
        (["--benchmark", "split_mnist", "--scenario", "cl4", "--method", "hnet"], "unknown scenario 'cl4'; valid: "),
        (["--benchmark", "split_mnist", "--scenario", "cl1", "--method", "hnat"], "unknown method 'hnat'; valid: "),
        (["--benchmark", "split_mnist", "--scenario", "cl3", "--method", "hnet"], "does not support scenario 'cl3'"),
        (
            ["--benchmark", "split_mnist", "--scenario", "cl1", "--method", "hnet", "--set", "iterations=-5"],
            "'iterations': must be positive (> 0) (got -5)",
        ),
        (
            ["--benchmark", "split_mnist", "--scenario", "cl1", "--method", "hnet", "--set", "chunk_size=0"],
            "'chunk_size': must be positive (> 0) (got 0)",
        ),
        (
            ["--benchmark", "split_mnist", "--scenario", "cl1", "--method", "hnet", "--set", "beta=nan"],
            "'beta': must be a finite number (got nan)",
        ),
        (
            ["--benchmark", "split_mnist", "--scenario", "cl1", "--method", "hnet", "--set", "lr=inf"],
            "'lr': must be a finite number (got inf)",
        ),
        (
            ["--benchmark", "split_mnist", "--scenario", "cl1", "--method", "hnet", "--set", "betta=1"],
            "unknown config key 'betta'",
        ),
    ],
)
def test_bad_arguments_list_valid_choices_and_write_nothing(tmp_path, synthetic_mnist, args, message):
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hnet",
            "run",
            *args,
            "--seed",
            "1",
            "--out",
            str(out),
            "--data-dir",
            str(synthetic_mnist),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not out.exists()


def test_missing_mnist_names_folder_and_files(tmp_path):
    rc = main(run_argv("split_mnist", "cl1", "finetune", 1, tmp_path / "o", tmp_path / "nowhere", device=None))
    assert rc == 2
    assert not (tmp_path / "o").exists()


def test_missing_mnist_error_message(tmp_path):
    from hnet.benchmarks.mnist import load_mnist
    from hnet.errors import DataError

    with pytest.raises(DataError, match=r"nowhere/MNIST/raw.*train-images-idx3-ubyte"):
        load_mnist(tmp_path / "nowhere", download=False)


def test_auto_device_takes_the_gpu_with_the_most_free_memory(monkeypatch):
    import torch

    from hnet.run import execute

    chosen = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 3)
    monkeypatch.setattr(execute, "free_gpu_memory", lambda i: [2, 9, 5][i] << 30)
    monkeypatch.setattr(torch.cuda, "set_device", chosen.append)
    assert execute.resolve_device("auto") == torch.device("cuda", 1) and chosen == [torch.device("cuda", 1)]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert execute.resolve_device("auto") == torch.device("cpu")
