"""Every mistake or environment problem the CLI can foresee: one ``ERROR ...`` line, exit code 2,
nothing written."""

from __future__ import annotations

import errno
import os
import shutil

import pytest

from hnet.run.cli import main

BASE = [
    "run",
    "--benchmark",
    "split_mnist",
    "--scenario",
    "cl1",
    "--method",
    "finetune",
    "--no-download",
    "--set",
    "iterations=5",
    "--set",
    "target_hidden=[8]",
]


def run(capsys, data, out, *extra, seed="1"):
    rc = main([*BASE, "--seed", seed, "--data-dir", str(data), "--out", str(out), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in err if line.startswith("ERROR")]
    return rc, errors, err


def assert_one_line_error(rc, errors, err, *parts):
    assert rc == 2, err
    assert len(errors) == 1 and not any("Traceback" in line for line in err), err
    for part in parts:
        assert part in errors[0], errors[0]


@pytest.fixture
def data(synthetic_mnist, tmp_path):
    dst = tmp_path / "data"
    shutil.copytree(synthetic_mnist, dst)
    return dst


def test_truncated_data_file(capsys, data, tmp_path):
    path = data / "MNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-1000])
    rc, errors, err = run(capsys, data, tmp_path / "out")
    assert_one_line_error(rc, errors, err, "train-images-idx3-ubyte", "truncated")
    assert not (tmp_path / "out").exists()


def test_missing_data(capsys, tmp_path):
    rc, errors, err = run(capsys, tmp_path / "nowhere", tmp_path / "out")
    assert_one_line_error(rc, errors, err, "nowhere/MNIST/raw", "train-images-idx3-ubyte")
    assert not (tmp_path / "out").exists()


def test_unwritable_out_is_reported_before_training(capsys, data, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    rc, errors, err = run(capsys, data, blocker / "run")
    assert_one_line_error(rc, errors, err, "--out", str(blocker / "run"), "cannot write")
    assert not any("task 1/" in line for line in err), "it trained before checking"


@pytest.mark.parametrize("seed", ["-1", str(2**32)])
def test_invalid_seed(capsys, data, tmp_path, seed):
    rc, errors, err = run(capsys, data, tmp_path / "out", seed=seed)
    assert_one_line_error(rc, errors, err, f"--seed {seed}", "0..4294967295")
    assert not (tmp_path / "out").exists()


def test_bad_override_and_config_file(capsys, data, tmp_path):
    rc, errors, err = run(capsys, data, tmp_path / "out", "--set", "dataset=cifar")
    assert_one_line_error(rc, errors, err, "'dataset'", "fashion_mnist")
    bad = tmp_path / "bad.yaml"
    bad.write_text("iterations: [1,\n")
    rc, errors, err = run(capsys, data, tmp_path / "out", "--config", str(bad))
    assert_one_line_error(rc, errors, err, str(bad), "not valid YAML")
    assert not (tmp_path / "out").exists()


def test_disk_full_while_writing_leaves_no_partial_file(capsys, data, tmp_path, monkeypatch):
    real_fsync = os.fsync

    def full(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp") and "metrics.json" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    out = tmp_path / "out"
    rc, errors, err = run(capsys, data, out)
    assert_one_line_error(rc, errors, err, str(out / "metrics.json"), "No space left on device")
    assert not (out / "metrics.json").exists()
    assert not list(out.glob(".*.tmp")), "a temporary file was left behind"
    assert (out / "checkpoint.pt").exists()  # the finished tasks are kept: the run resumes when started again


def test_failed_download_leaves_no_empty_folders(tmp_path, monkeypatch):
    import torchvision.datasets

    from hnet.benchmarks.mnist import load_mnist
    from hnet.errors import DataError

    def offline(self):  # as torchvision's download does: folders first, then a partial archive, then the error
        os.makedirs(self.raw_folder, exist_ok=True)
        (tmp_path / "root" / "MNIST" / "raw" / "train-images-idx3-ubyte.gz").write_bytes(b"partial")
        raise OSError("Name or service not known")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", offline)
    with pytest.raises(DataError, match="download failed.*Name or service not known"):
        load_mnist(tmp_path / "root", download=True)
    assert not (tmp_path / "root").exists()
