import json
import re

import pytest
import yaml

from hnet.benchmarks import BENCHMARKS, SCENARIOS
from hnet.registry import method_names, supported
from hnet.run.config import ConfigError, load_preset, preset_dir, read_overrides, resolve
from tests.conftest import REPO

# Resolved configuration of every cell (the golden file). A deliberate change of a preset value or
# code default updates this file in the same commit; the test lists what moved. Regenerate with
# `python -m tests.test_config` after such a change, and say in the commit what changed and why.
GOLDEN = REPO / "tests" / "data" / "resolved_configs.json"
NEW_KEYS: set[str] = set()  # keys added by a change that the golden file does not have yet


def cells():
    return [(b, s, m) for b in sorted(BENCHMARKS) for s in SCENARIOS for m in method_names() if supported(b, s, m)]


def test_every_resolved_value_has_a_source_a_reader_can_follow():
    for b, s, m in cells():
        cfg, sources = resolve(b, s, m)
        for key in cfg:
            assert sources[key], f"{b}/{s}/{m}: {key} has no source"
            assert not re.search(r"issue\s*#?\d|#\d", sources[key]), f"{b}/{s}/{m}: {key} cites an issue"


def test_resolved_configs_equal_the_golden_file():
    golden = json.loads(GOLDEN.read_text())
    moved = []
    for b, s, m in cells():
        key = f"{b}/{s}/{m}"
        if key not in golden:
            continue  # a cell added later (a new benchmark or method)
        cfg = resolve(b, s, m)[0]
        moved += [
            f"{key}: {k} {golden[key].get(k)!r} -> {cfg.get(k, 'missing')!r}"
            for k in (set(golden[key]) | set(cfg)) - NEW_KEYS
            if golden[key].get(k, "missing") != cfg.get(k, "missing")
        ]
    assert not moved, "\n".join(moved)
    assert all(
        f"{b}/{s}/{m}" in {f"{x}/{y}/{z}" for x, y, z in cells()} for b, s, m in (k.split("/") for k in golden)
    ), "a cell of the golden file is no longer supported"


def test_presets_share_blocks_instead_of_repeating_entries():
    """The same key with the same value and source in two method entries belongs in a block."""
    for path in preset_dir().glob("*.yaml"):
        raw = yaml.safe_load(path.read_text())
        seen = {}
        for method, entry in (raw.get("methods") or {}).items():
            for key, value in (entry or {}).items():
                if key == "use":
                    continue
                fingerprint = (key, json.dumps(value, sort_keys=True))
                assert fingerprint not in seen, f"{path.name}: {key} repeated in {seen.get(fingerprint)} and {method}"
                seen[fingerprint] = method


def test_extends_inherits_and_overrides():
    p100, p10 = load_preset("permuted_mnist_100"), load_preset("permuted_mnist")
    assert p100["blocks"]["hypernet"]["chunk_size"]["value"] == 7500
    assert p100["blocks"]["hypernet"]["hnet_type"] == p10["blocks"]["hypernet"]["hnet_type"]
    assert p100["blocks"]["replay"] == p10["blocks"]["replay"]
    assert p100["common"]["n_tasks"]["value"] == 100 and p100["common"]["lr"] == p10["common"]["lr"]


def test_paper_values():
    cfg, src = resolve("split_mnist", "cl1", "hnet")
    assert cfg["chunk_size"] == 42000 and cfg["emb_dim"] == 96 and cfg["beta"] == 0.01
    assert "train_args_default" in open(preset_dir() / "split_mnist.yaml").read() and "AC" in src["beta"]
    cfg, _ = resolve("permuted_mnist_100", "cl1", "hnet")
    assert cfg["n_tasks"] == 100 and cfg["hnet_hidden"] == [200, 250, 350] and cfg["chunk_size"] == 7500
    assert resolve("split_mnist", "cl1", "hnet")[1]["reg_impl"].startswith("code default")


def test_by_scenario_values():
    assert resolve("split_mnist", "cl1", "si")[0]["si_c"] == 50.0
    assert resolve("split_mnist", "cl3", "si")[0]["si_c"] == 0.5
    assert resolve("permuted_mnist", "cl2", "online_ewc")[0]["gamma"] == 0.9


def test_overrides_and_their_checks():
    cfg, src = resolve("regression", "cl1", "hnet", read_overrides(None, ["iterations=300", "lr=1e-3"]))
    assert cfg["iterations"] == 300 and cfg["lr"] == 0.001 and src["iterations"] == "override"
    with pytest.raises(ConfigError, match="'itrations'.*valid"):
        resolve("regression", "cl1", "hnet", {"itrations": 3})
    with pytest.raises(ConfigError, match="'iterations'.*positive"):
        resolve("regression", "cl1", "hnet", {"iterations": 0})
    with pytest.raises(ConfigError, match="'batch_size'"):
        resolve("regression", "cl1", "hnet", {"batch_size": "large"})
    with pytest.raises(ConfigError, match="'reg_impl'.*valid"):
        resolve("regression", "cl1", "hnet", {"reg_impl": "fast"})
    with pytest.raises(ConfigError, match="'target_net'.*valid"):
        resolve("regression", "cl1", "hnet", {"target_net": "transformer"})
    with pytest.raises(ConfigError, match="does not support scenario 'cl3'"):
        resolve("regression", "cl3", "hnet")


def test_a_required_hyperparameter_missing_from_the_preset_is_named(tmp_path, monkeypatch):
    for path in preset_dir().glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    preset = yaml.safe_load((tmp_path / "split_mnist.yaml").read_text())
    del preset["methods"]["si"]
    (tmp_path / "split_mnist.yaml").write_text(yaml.safe_dump(preset))
    monkeypatch.setenv("HNET_PRESET_DIR", str(tmp_path))
    with pytest.raises(
        ConfigError, match=r"preset 'split_mnist' gives no value for \['si_c'\], required by method 'si'"
    ):
        resolve("split_mnist", "cl1", "si")


def test_config_file_overrides(tmp_path):
    f = tmp_path / "o.yaml"
    f.write_text("iterations: 7\nbeta: {value: 0.5, source: test}\n")
    assert read_overrides(str(f), ["iterations=9"]) == {"iterations": 9, "beta": 0.5}


if __name__ == "__main__":
    GOLDEN.write_text(
        json.dumps({f"{b}/{s}/{m}": resolve(b, s, m)[0] for b, s, m in cells()}, indent=1, sort_keys=True) + "\n"
    )
    print(f"wrote {GOLDEN} ({len(cells())} cells)")
