"""Runs survive interruption and bad input (issue: resume, atomic results, divergence guard, data integrity)."""

import json
import shutil
import subprocess
import sys

import pytest

from hnet.benchmarks.idx import DataIntegrityError
from hnet.benchmarks.mnist import load_mnist
from hnet.core import DivergenceError
from hnet.methods.hnet import HNET
from hnet.run.cli import build_parser, main, place_from_args, request_from_args
from hnet.run.execute import execute
from tests.conftest import REPO, write_idx
from tests.helpers import run_argv

TINY = [
    "n_tasks=4",
    "iterations=20",
    "target_hidden=[32]",
    "hnet_hidden=[8]",
    "emb_dim=4",
    "chunk_emb_dim=4",
    "chunk_size=3000",
]


def cli_args(data, out, method, extra=()):
    sets = [s for s in TINY if method == "hnet" or s.split("=")[0] in ("n_tasks", "iterations", "target_hidden")]
    if method in ("ewc", "online_ewc"):
        sets.append("fisher_samples=64")
    return run_argv("permuted_mnist", "cl1", method, 3, out, data, [*sets, *extra])


def test_checkpoint_for_another_config_is_ignored(synthetic_mnist, tmp_path):
    out = tmp_path / "r"
    subprocess.run(
        [sys.executable, "-m", "tests.kill_after_task", "1", *cli_args(synthetic_mnist, out, "finetune")],
        capture_output=True,
        cwd=REPO,
    )
    assert (out / "checkpoint.pt").exists()
    assert main(cli_args(synthetic_mnist, out, "finetune", ["iterations=41"])) == 0
    fresh = tmp_path / "fresh"
    assert main(cli_args(synthetic_mnist, fresh, "finetune", ["iterations=41"])) == 0
    assert (
        json.loads((out / "metrics.json").read_text())["matrix"]
        == json.loads((fresh / "metrics.json").read_text())["matrix"]
    )


def test_keep_checkpoint_switch(synthetic_mnist, tmp_path):
    out = tmp_path / "r"
    assert main([*cli_args(synthetic_mnist, out, "finetune", ["n_tasks=2"]), "--keep-checkpoint"]) == 0
    assert (out / "checkpoint.pt").exists() and (out / "metrics.json").exists()


def test_nan_loss_stops_the_run_naming_where(synthetic_mnist, tmp_path, monkeypatch):
    out = tmp_path / "nan"
    args = build_parser().parse_args(cli_args(synthetic_mnist, out, "hnet"))
    at = {"task": -1, "step": 0}
    begin_task, train_step = HNET.begin_task, HNET.train_step

    def begin(self, task):  # count steps per task
        at.update(task=task, step=0)
        begin_task(self, task)

    def step(self, *batch):  # the 8th step of task 2 returns NaN
        at["step"] += 1
        loss = train_step(self, *batch)
        return loss * float("nan") if (at["task"], at["step"]) == (1, 8) else loss

    monkeypatch.setattr(HNET, "begin_task", begin)
    monkeypatch.setattr(HNET, "train_step", step)
    with pytest.raises(DivergenceError) as err:
        execute(request_from_args(args), place_from_args(args))
    msg = str(err.value)
    for part in ("permuted_mnist", "cl1", "hnet", "seed3", "task 2", "iteration 8"):
        assert part in msg
    assert not (out / "metrics.json").exists()


def test_nonfinite_exit_code(synthetic_mnist, tmp_path):
    out = tmp_path / "lr"
    rc = main(cli_args(synthetic_mnist, out, "finetune", ["lr=1e30", "n_tasks=1"]))
    assert rc == 3
    assert not (out / "metrics.json").exists()


@pytest.fixture
def mnist_copy(synthetic_mnist, tmp_path):
    dst = tmp_path / "copy"
    shutil.copytree(synthetic_mnist, dst)
    return dst


def test_truncated_idx_file_is_reported_by_path(mnist_copy):
    path = mnist_copy / "MNIST" / "raw" / "train-images-idx3-ubyte"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 1000])
    with pytest.raises(DataIntegrityError, match=r"train-images-idx3-ubyte: \d+ bytes, expected \d+ .*truncated"):
        load_mnist(mnist_copy, download=False)


def test_wrong_label_values_are_reported(mnist_copy):
    import numpy as np

    write_idx(mnist_copy / "MNIST" / "raw" / "t10k-labels-idx1-ubyte", np.full(200, 12, np.uint8))
    with pytest.raises(DataIntegrityError, match=r"t10k-labels-idx1-ubyte: label 12 outside 0..9"):
        load_mnist(mnist_copy, download=False)


def test_wrong_image_shape_is_reported(mnist_copy):
    import numpy as np

    write_idx(mnist_copy / "MNIST" / "raw" / "t10k-images-idx3-ubyte", np.zeros((200, 20, 20), np.uint8))
    with pytest.raises(DataIntegrityError, match=r"t10k-images-idx3-ubyte: expected uint8 images of shape"):
        load_mnist(mnist_copy, download=False)


def test_an_archive_beside_its_uncompressed_file_is_not_read_and_a_corrupt_one_alone_is_named(mnist_copy):
    raw = mnist_copy / "MNIST" / "raw"
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"not the real archive")  # e.g. recompressed elsewhere
    assert len(load_mnist(mnist_copy, download=False)[True][1]) == 600
    (raw / "train-images-idx3-ubyte").unlink()
    with pytest.raises(DataIntegrityError, match=r"train-images-idx3-ubyte.gz: not a readable gzip file"):
        load_mnist(mnist_copy, download=False)
