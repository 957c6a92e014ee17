import pytest
import yaml

from hnet.config import ConfigError, preset_dir, read_overrides, resolve


def test_every_preset_value_has_a_source():
    for path in preset_dir().glob("*.yaml"):
        preset = yaml.safe_load(path.read_text())
        sections = [preset["common"], *preset["methods"].values()]
        for section in sections:
            for key, entry in (section or {}).items():
                assert isinstance(entry, dict) and entry.get("source"), f"{path.name}: {key} has no source"


def test_paper_values():
    cfg, src = resolve("split_mnist", "cl1", "hnet")
    assert cfg["chunk_size"] == 42000 and cfg["emb_dim"] == 96 and cfg["beta"] == 0.01
    assert "paper" in src["beta"]
    cfg, _ = resolve("permuted_mnist_100", "cl1", "hnet")
    assert cfg["n_tasks"] == 100 and cfg["hnet_hidden"] == [200, 250, 350] and cfg["chunk_size"] == 7500


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
    with pytest.raises(ConfigError, match="does not support scenario 'cl3'"):
        resolve("regression", "cl3", "hnet")


def test_config_file_overrides(tmp_path):
    f = tmp_path / "o.yaml"
    f.write_text("iterations: 7\nbeta: {value: 0.5, source: test}\n")
    assert read_overrides(str(f), ["iterations=9"]) == {"iterations": 9, "beta": 0.5}
