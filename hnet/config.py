"""Paper presets (``config/presets/<benchmark>.yaml``) resolved into one flat run configuration.

Order of precedence: preset ``common`` < preset ``methods.<method>`` < ``by_scenario`` <
``--config FILE`` < ``--set key=value``. Every preset value carries its source; the sources travel
into metrics.json beside the values. Every override is checked against the preset: unknown keys,
wrong types and out-of-range values are rejected with a message naming the key.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from hnet.benchmarks import SCENARIOS, scenarios_of


class ConfigError(ValueError):
    pass


def preset_dir() -> Path:
    env = os.environ.get("HNET_PRESET_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "config" / "presets"


def preset_names() -> list[str]:
    return sorted(p.stem for p in preset_dir().glob("*.yaml"))


def load_preset(benchmark: str) -> dict:
    path = preset_dir() / f"{benchmark}.yaml"
    if not path.is_file():
        raise ConfigError(f"no preset for benchmark {benchmark!r} at {path}; valid: {preset_names()}")
    with open(path) as f:
        return yaml.safe_load(f)


POSITIVE_INT = {"iterations", "batch_size", "eval_batch_size", "emb_dim", "n_tasks", "n_train", "n_test"}
POSITIVE = {"lr"}
NON_NEGATIVE = {"beta", "ewc_lambda", "si_c", "si_epsilon", "noise_std", "chunk_emb_dim", "reg_subset", "gamma",
                "padding"}
CHOICES = {
    "hnet_type": ("full", "chunked"),
    "reg_impl": ("gram", "reference"),
    "reg_targets": ("stored", "snapshot"),
    "target_activation": ("relu", "elu", "sigmoid", "tanh", "linear"),
    "hnet_activation": ("relu", "elu", "sigmoid", "tanh", "linear"),
}
UNIT_INTERVAL = {"adam_beta1", "adam_beta2", "val_fraction"}


def _unwrap(entry, scenario: str):
    if isinstance(entry, dict) and "value" in entry:
        value = entry.get("by_scenario", {}).get(scenario, entry["value"])
        return value, entry.get("source", "")
    return entry, ""


def parse_value(text: str):
    """``--set`` values are YAML; numbers like ``1e-3`` (a string to YAML 1.1) become floats."""
    value = yaml.safe_load(text)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _check_value(key: str, value, default) -> None:
    def fail(why):
        raise ConfigError(f"config key {key!r}: {why} (got {value!r})")

    if default is not None:
        if isinstance(default, bool):
            if not isinstance(value, bool):
                fail("expected true or false")
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                fail("expected an integer")
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                fail("expected a number")
        elif isinstance(default, list):
            if not isinstance(value, list) or not all(isinstance(v, int) and v > 0 for v in value):
                fail("expected a list of positive integers")
        elif isinstance(default, str) and not isinstance(value, str):
            fail("expected a string")
    elif value is not None and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        fail("expected null or a positive integer")
    if key in POSITIVE_INT and (not isinstance(value, int) or value <= 0):
        fail("must be a positive integer")
    if key in POSITIVE and not value > 0:
        fail("must be positive")
    if key in NON_NEGATIVE and value < 0:
        fail("must be non-negative")
    if key in UNIT_INTERVAL and not 0 <= value < 1:
        fail("must be in [0, 1)")
    if key in CHOICES and value not in CHOICES[key]:
        fail(f"valid: {list(CHOICES[key])}")


def resolve(benchmark: str, scenario: str, method: str, overrides: dict | None = None) -> tuple[dict, dict]:
    """``(config, sources)`` for one run; raises ConfigError naming the offending key or value."""
    if scenario not in SCENARIOS:
        raise ConfigError(f"unknown scenario {scenario!r}; valid: {list(SCENARIOS)}")
    if scenario not in scenarios_of(benchmark):
        raise ConfigError(f"benchmark {benchmark!r} does not support scenario {scenario!r}; "
                          f"valid: {list(scenarios_of(benchmark))}")
    preset = load_preset(benchmark)
    methods = preset.get("methods", {})
    if method not in methods:
        raise ConfigError(f"preset {benchmark!r} has no entry for method {method!r}; "
                          f"methods with presets: {sorted(methods)}")
    cfg, sources = {}, {}
    for section in (preset.get("common", {}), methods[method] or {}):
        for key, entry in section.items():
            cfg[key], sources[key] = _unwrap(entry, scenario)
    for key, value in (overrides or {}).items():
        if key not in cfg:
            raise ConfigError(f"unknown config key {key!r} for {benchmark}/{method}; valid: {sorted(cfg)}")
        _check_value(key, value, cfg[key])
        cfg[key], sources[key] = value, "override"
    for key, value in cfg.items():
        _check_value(key, value, value)
    return cfg, sources


def read_overrides(config_file: str | None, set_pairs: list[str]) -> dict:
    overrides: dict = {}
    if config_file:
        with open(config_file) as f:
            data = yaml.safe_load(f) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{config_file}: expected a mapping of config keys to values")
        for key, entry in data.items():
            overrides[key] = _unwrap(entry, "")[0]
    for pair in set_pairs:
        if "=" not in pair:
            raise ConfigError(f"--set expects key=value, got {pair!r}")
        key, text = pair.split("=", 1)
        overrides[key.strip()] = parse_value(text)
    return overrides
