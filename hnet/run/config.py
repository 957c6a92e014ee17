"""One run's configuration: code defaults, the benchmark's paper preset, then overrides.

Order of precedence (later wins):

1. typed defaults in code: ``RUN_SETTINGS`` here and the method's ``settings`` (its implementation
   switches; ``REQUIRED`` marks a hyperparameter the preset must give);
2. the preset ``hnet/presets/<benchmark>.yaml``: ``common``, then the method's entry (the shared
   ``blocks`` it ``use``s, then its own keys), each value as ``{value, source, by_scenario}``;
   ``extends: <other preset>`` starts from another preset and changes only what it lists;
3. ``--config FILE``, then ``--set key=value``.

Every value carries its source into metrics.json. Every key is a declared ``Setting`` (the run's
here, the benchmark's, the target network's, the method's: ``declared_settings``), and every value
is checked against its declaration: unknown keys, wrong types, non-finite numbers and values out
of range are rejected with a message naming the key.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

import yaml

from hnet.benchmarks import BENCHMARKS
from hnet.core import schedule
from hnet.errors import ConfigError
from hnet.nets import TARGET_NET_SETTINGS, TARGET_NETS
from hnet.registry import method_class, unsupported_reason
from hnet.settings import REQUIRED, Setting

RUN_SETTINGS = {
    "iterations": Setting(REQUIRED, "training iterations per task", type="int", constraint="positive"),
    "batch_size": Setting(REQUIRED, "training batch size", type="int", constraint="positive"),
    "eval_batch_size": Setting(
        REQUIRED, "evaluation batch size (does not change results)", type="int", constraint="positive"
    ),
    "lr": Setting(REQUIRED, "Adam learning rate", type="float", constraint="positive"),
    "adam_beta1": Setting(REQUIRED, "Adam beta1", type="float", constraint="unit_interval"),
    "adam_beta2": Setting(REQUIRED, "Adam beta2", type="float", constraint="unit_interval"),
    "target_net": Setting("mlp", "target network architecture (hnet.nets.TARGET_NETS)", tuple(TARGET_NETS)),
    **schedule.SETTINGS,
    "val_fraction": Setting(
        0.0,
        "0: evaluate on the test set; F > 0: hold out F of each task's training data "
        "and evaluate on it instead (for tuning)",
        constraint="unit_interval",
    ),
}
CODE_SOURCE = "code default"


def declared_settings(benchmark: str, method: str, target_net: str) -> dict[str, Setting]:
    """Every setting a run of ``method`` on ``benchmark`` with target network ``target_net`` reads:
    the run's, the benchmark's, the target network's and the method's (the one place validation
    comes from)."""
    return {
        **RUN_SETTINGS,
        **BENCHMARKS[benchmark].settings,
        **TARGET_NET_SETTINGS[target_net],
        **method_class(method).all_settings(),
    }


def preset_dir() -> Path:
    env = os.environ.get("HNET_PRESET_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "presets"


def preset_names() -> list[str]:
    return sorted(p.stem for p in preset_dir().glob("*.yaml"))


def _merge_preset(base: dict, child: dict) -> dict:
    """``child`` over ``base``: sections merged key by key, a method's ``use`` list replaced."""
    out = {**base, **{k: v for k, v in child.items() if k not in ("common", "blocks", "methods", "extends")}}
    for section in ("common", "blocks", "methods"):
        merged = dict(base.get(section) or {})
        for name, entry in (child.get(section) or {}).items():
            if section == "common" or not isinstance(entry, dict) or not isinstance(merged.get(name), dict):
                merged[name] = entry
            else:
                merged[name] = {**merged[name], **entry}
        out[section] = merged
    return out


@cache
def _load_preset(directory: str, benchmark: str) -> dict:
    path = Path(directory) / f"{benchmark}.yaml"
    if not path.is_file():
        raise ConfigError(f"no preset for benchmark {benchmark!r} at {path}; valid: {preset_names()}")
    with open(path) as f:
        raw = yaml.safe_load(f) or {}
    if "extends" in raw:
        return _merge_preset(_load_preset(directory, raw["extends"]), raw)
    return raw


def load_preset(benchmark: str) -> dict:
    return _load_preset(str(preset_dir()), benchmark)


def method_entries(preset: dict, method: str) -> dict:
    """The preset's entries for ``method``: the blocks it uses, then its own keys."""
    entry = dict((preset.get("methods") or {}).get(method) or {})
    out: dict = {}
    for block in entry.pop("use", []):
        if block not in (preset.get("blocks") or {}):
            raise ConfigError(f"preset {preset.get('benchmark')!r}: method {method!r} uses unknown block {block!r}")
        out.update(preset["blocks"][block])
    out.update(entry)
    return out


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


def resolve(benchmark: str, scenario: str, method: str, overrides: dict | None = None) -> tuple[dict, dict]:
    """``(config, sources)`` for one run; raises ConfigError naming the offending key or value."""
    if benchmark not in BENCHMARKS:
        raise ConfigError(f"unknown benchmark {benchmark!r}; valid: {sorted(BENCHMARKS)}")
    try:
        why = unsupported_reason(benchmark, scenario, method)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    if why:
        raise ConfigError(why)
    overrides = overrides or {}
    preset = load_preset(benchmark)
    sections = (preset.get("common") or {}, method_entries(preset, method))
    # The target network decides which network settings exist, so it is resolved first.
    target_net = RUN_SETTINGS["target_net"].default
    for section in sections:
        if "target_net" in section:
            target_net = _unwrap(section["target_net"], scenario)[0]
    target_net = overrides.get("target_net", target_net)
    RUN_SETTINGS["target_net"].check("target_net", target_net)
    code = declared_settings(benchmark, method, target_net)
    cfg, sources = {}, {}
    for key, setting in code.items():
        if setting.default is not REQUIRED:
            cfg[key], sources[key] = setting.default, f"{CODE_SOURCE}: {setting.doc}"
    for section in sections:
        for key, entry in section.items():
            if key not in code:
                raise ConfigError(
                    f"preset {benchmark!r}: {key!r} is no setting of {benchmark}/{method} "
                    f"(target_net {target_net}); declared: {sorted(code)}"
                )
            cfg[key], sources[key] = _unwrap(entry, scenario)
    missing = [k for k, s in code.items() if s.default is REQUIRED and k not in cfg]
    if missing:
        raise ConfigError(f"preset {benchmark!r} gives no value for {missing}, required by method {method!r}")
    for key, value in overrides.items():
        if key not in code:
            raise ConfigError(f"unknown config key {key!r} for {benchmark}/{method}; valid: {sorted(cfg)}")
        cfg[key], sources[key] = value, "override"
    for key, value in cfg.items():
        code[key].check(key, value)
    if cfg["lr_plateau"] and not cfg["lr_val_fraction"] > 0:
        raise ConfigError("config key 'lr_plateau': needs a validation split, set lr_val_fraction > 0")
    return cfg, sources


def fingerprint(benchmark: str, scenario: str, method: str, seed: int, cfg: dict) -> str:
    """What a run is, as a short hash: its cell, seed and resolved configuration (dataset included).

    Recorded in metrics.json; the workflow computes it for every job (a changed value reruns exactly
    the jobs it changes) and the aggregation refuses runs whose recorded fingerprint differs.
    """
    identity = {"benchmark": benchmark, "scenario": scenario, "method": method, "seed": seed, "config": cfg}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]


def load_yaml(path: str | Path, what: str):
    """A YAML file's content; a file that cannot be read, is not UTF-8 or not YAML is a one-line
    ConfigError (with the line and column of the first YAML mistake)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{what} {path}: not UTF-8 text (byte {err.start}); save it as UTF-8") from None
    except OSError as err:
        raise ConfigError(f"{what} {path}: cannot read it ({err.strerror or err})") from None
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{what} {path}: not valid YAML{where} ({problem})") from None


def read_overrides(config_file: str | None, set_pairs: list[str]) -> dict:
    overrides: dict = {}
    if config_file:
        data = load_yaml(config_file, "--config")
        if not isinstance(data, dict):
            raise ConfigError(f"{config_file}: expected a mapping of config keys to values")
        for key, entry in data.items():
            overrides[key] = _unwrap(entry, "")[0]
    for pair in set_pairs:
        if "=" not in pair:
            raise ConfigError(f"--set expects key=value, got {pair!r}")
        key, text = pair.split("=", 1)
        try:
            overrides[key.strip()] = parse_value(text)
        except yaml.YAMLError:
            raise ConfigError(f"--set {pair}: the value is not valid YAML") from None
    return overrides
