"""Nothing lost, nothing silently replaced: finished runs, full disks, bad files, file modes, provenance."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import hnet.run.io as io
from hnet.benchmarks.datasets import download_or_clean_up
from hnet.errors import ConfigError, DataError
from hnet.run import provenance
from hnet.run.cli import main
from hnet.run.config import read_overrides

BASE = [
    "run",
    "--benchmark",
    "split_mnist",
    "--scenario",
    "cl1",
    "--method",
    "finetune",
    "--seed",
    "1",
    "--no-download",
    "--device",
    "cpu",
    "--set",
    "n_tasks=2",
    "--set",
    "target_hidden=[8]",
]


def run(capsys, data, out, *extra):
    rc = main([*BASE, "--data-dir", str(data), "--out", str(out), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    return rc, [line for line in err if line.startswith("ERROR")], err


def one_line(rc, errors, err, *parts):
    assert rc == 2, err
    assert len(errors) == 1 and not any("Traceback" in line for line in err), err
    for part in parts:
        assert part in errors[0], errors[0]


def test_a_finished_run_of_another_configuration_is_kept_unless_forced(capsys, synthetic_mnist, tmp_path):
    out = tmp_path / "run"
    assert run(capsys, synthetic_mnist, out, "--set", "iterations=5")[0] == 0
    first = (out / "metrics.json").read_text()
    for other in (["--set", "iterations=6"], ["--set", "iterations=5", "--set", "lr=0.01"]):
        one_line(*run(capsys, synthetic_mnist, out, *other), str(out), "another configuration", "--force")
        assert (out / "metrics.json").read_text() == first  # untouched
    assert run(capsys, synthetic_mnist, out, "--set", "iterations=5")[0] == 0  # the same run again: allowed
    assert json.loads((out / "metrics.json").read_text())["matrix"] == json.loads(first)["matrix"]
    assert run(capsys, synthetic_mnist, out, "--set", "iterations=6", "--force")[0] == 0
    assert json.loads((out / "metrics.json").read_text())["config"]["iterations"] == 6


def test_a_full_disk_at_the_checkpoint_is_one_line_and_leaves_no_folder(capsys, synthetic_mnist, tmp_path, monkeypatch):
    def full(obj, path):  # what torch.save raises when the disk fills (a RuntimeError, not an OSError)
        Path(path).write_bytes(b"\0" * 10)
        raise RuntimeError(
            "[enforce fail at inline_container.cc:642] . PytorchStreamWriter failed writing file "
            "data/0: file write failed"
        )

    monkeypatch.setattr(torch, "save", full)
    out = tmp_path / "new" / "run"
    one_line(*run(capsys, synthetic_mnist, out, "--set", "iterations=5"), "checkpoint.pt", "file write failed")
    assert not (tmp_path / "new").exists()


def test_a_full_disk_at_the_results_leaves_the_checkpoint_and_no_half_written_folder(
    capsys, synthetic_mnist, tmp_path, monkeypatch
):
    real_open = open

    def open_failing_for_metrics(path, *args, **kwargs):
        if ".metrics.json." in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(io, "open", open_failing_for_metrics, raising=False)
    out = tmp_path / "run"
    one_line(*run(capsys, synthetic_mnist, out, "--set", "iterations=5"), "metrics.json", "No space left on device")
    assert not (out / "metrics.json").exists() and not (out / "matrix.csv").exists()
    assert (out / "checkpoint.pt").exists()  # nothing lost: a second try resumes after the last task
    monkeypatch.undo()
    assert run(capsys, synthetic_mnist, out, "--set", "iterations=5")[0] == 0


def test_run_files_follow_the_umask(synthetic_mnist, tmp_path):
    out = tmp_path / "run"
    old = os.umask(0o022)
    try:
        assert (
            main(
                [
                    *BASE,
                    "--data-dir",
                    str(synthetic_mnist),
                    "--out",
                    str(out),
                    "--set",
                    "iterations=3",
                    "--keep-checkpoint",
                ]
            )
            == 0
        )
    finally:
        os.umask(old)
    for name in ("metrics.json", "matrix.csv", "checkpoint.pt"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644, name


def test_config_files_that_are_not_utf8_or_not_yaml_are_one_line(tmp_path):
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("lr: 0.01  # réglé\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        read_overrides(str(latin), [])
    broken = tmp_path / "broken.yaml"
    broken.write_text("iterations: 5\nlr: [0.01\nbeta: 1\n")
    with pytest.raises(ConfigError, match=r"not valid YAML at line \d+, column \d+") as err:
        read_overrides(str(broken), [])
    assert "\n" not in str(err.value)


def test_a_failed_download_is_one_line(tmp_path):
    def fails():
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried https://a, got:\n<urlopen error>\n")

    with pytest.raises(DataError) as err:
        download_or_clean_up(tmp_path / "MNIST" / "raw", fails, "MNIST")
    assert "\n" not in str(err.value) and "<urlopen error>" in str(err.value)
    assert not (tmp_path / "MNIST").exists()


def test_an_untracked_module_makes_the_checkout_dirty(tmp_path):
    git = shutil.which("git")
    if git is None:
        pytest.skip("no git")
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "start"]):
        subprocess.run([git, "-C", str(repo), *args], check=True, env=env, capture_output=True)
    assert provenance.git_state(repo)["dirty"] is False
    (repo / "my_method.py").write_text("x = 1\n")
    assert provenance.git_state(repo)["dirty"] is True


def test_an_external_rule_stamps_its_run_with_provenance(tmp_path, synthetic_mnist):
    metrics = tmp_path / "metrics.json"
    metrics.write_text(
        json.dumps(
            {
                "benchmark": "split_mnist",
                "scenario": "cl1",
                "method": "ncm",
                "seed": 1,
                "metric": "accuracy",
                "matrix": [[90.0]],
                "config": {},
            }
        )
    )
    proc = subprocess.run(
        [sys.executable, "-m", "hnet", "stamp", str(metrics), "--data-dir", str(synthetic_mnist)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    m = json.loads(metrics.read_text())
    assert m["provenance"]["data"]["dataset"] == "mnist" and len(m["provenance"]["data"]["files"]) == 4
    assert "commit" in m["provenance"]["code"] and m["dataset"] == "mnist"


def flat_gzipped_copy(src: Path, dst: Path, folder: str = "MNIST") -> Path:
    """A distribution-style package: the four IDX files gzipped (recompressed: other bytes and MD5
    sums than torchvision's archives) in one flat folder."""
    import gzip

    dst.mkdir(parents=True)
    for f in (src / folder / "raw").iterdir():
        if not f.name.endswith(".gz"):
            (dst / f"{f.name}.gz").write_bytes(gzip.compress(f.read_bytes(), compresslevel=6, mtime=12345))
    return dst


def listing(folder: Path) -> dict:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_a_flat_folder_of_gzipped_idx_files_is_read_in_place_with_the_same_content_hash(
    capsys, synthetic_mnist, tmp_path
):
    flat = flat_gzipped_copy(synthetic_mnist, tmp_path / "usr-share-mnist")
    before = listing(flat)
    flat.chmod(0o555)
    try:
        empty = tmp_path / "empty"
        empty.mkdir()
        ran = {}
        for name, extra in (("in place", ["--dataset-dir", f"mnist={flat}"]), ("layout", [])):
            out = tmp_path / name
            data = empty if extra else synthetic_mnist
            # --no-download is not needed: nothing is ever fetched into a folder the user named
            argv = [a for a in BASE if a != "--no-download"] if extra else BASE
            assert main([*argv, "--data-dir", str(data), "--out", str(out), "--set", "iterations=5", *extra]) == 0
            ran[name] = json.loads((out / "metrics.json").read_text())
    finally:
        flat.chmod(0o755)
    assert listing(flat) == before and not list(empty.iterdir())  # nothing written, nothing downloaded
    a, b = ran["in place"], ran["layout"]
    assert a["label"] == b["label"] == "split_mnist" and a["dataset"] == "mnist"
    assert a["provenance"]["data"]["files"] == b["provenance"]["data"]["files"]  # same content, same hashes
    assert a["provenance"]["data"]["folders"] == {"mnist": str(flat.resolve())}
    assert a["matrix"] == b["matrix"]
    one_line(
        *run(capsys, synthetic_mnist, tmp_path / "x", "--dataset-dir", f"kmnist={flat / 'none'}"),
        "--dataset-dir",
        "is not a folder",
    )
    (tmp_path / "partial").mkdir()
    one_line(
        *run(capsys, synthetic_mnist, tmp_path / "y", "--dataset-dir", f"mnist={tmp_path / 'partial'}"),
        "files missing in",
        "nothing is downloaded into a folder you name",
    )
