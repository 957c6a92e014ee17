"""Method discovery: the one place that knows where methods live.

A method is a ``hnet.core.Method`` subclass with a non-empty ``name``, defined in a module of

- the package ``hnet.methods`` (the HNET family) or ``baselines`` (this repository's baselines):
  every module there is imported, so a new baseline is one new file;
- any installed package that declares an entry point in the group ``hnet_repro.methods``
  (``[project.entry-points."hnet_repro.methods"]`` in its ``pyproject.toml``), pointing at a
  module, a package (all its modules) or a class: a user's own methods, without editing this one.

The framework (``hnet.core``) never imports this module, so discovering methods cannot create an
import cycle: imports go run/tools -> registry -> methods, baselines -> core -> nets, benchmarks.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from importlib.metadata import entry_points
from types import ModuleType

from hnet.benchmarks import SCENARIOS, spec
from hnet.core import Method

PACKAGES = ("hnet.methods", "baselines")
ENTRY_POINT_GROUP = "hnet_repro.methods"


class RegistryError(RuntimeError):
    pass


def _modules(package: ModuleType) -> list[ModuleType]:
    out = [package]
    for info in pkgutil.iter_modules(getattr(package, "__path__", [])):
        if not info.name.startswith("_"):
            out.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return out


def _methods_in(module: ModuleType) -> list[type[Method]]:
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Method) and obj.__module__ == module.__name__ and obj.name
    ]


@cache
def methods() -> dict[str, type[Method]]:
    """Every discovered method by name."""
    found: dict[str, type[Method]] = {}

    def add(cls: type[Method], origin: str) -> None:
        other = found.get(cls.name)
        if other is not None and other is not cls:
            raise RegistryError(
                f"method name {cls.name!r} is defined twice: {other.__module__}.{other.__name__} "
                f"and {cls.__module__}.{cls.__name__} ({origin})"
            )
        found[cls.name] = cls

    for name in PACKAGES:
        for module in _modules(importlib.import_module(name)):
            for cls in _methods_in(module):
                add(cls, f"package {name}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        if isinstance(obj, ModuleType):
            for module in _modules(obj):
                for cls in _methods_in(module):
                    add(cls, f"entry point {ep.name}")
        elif isinstance(obj, type) and issubclass(obj, Method) and obj.name:
            add(obj, f"entry point {ep.name}")
        else:
            raise RegistryError(f"entry point {ep.name} = {ep.value} is neither a module nor a Method subclass")
    return dict(sorted(found.items()))


def method_names() -> list[str]:
    return list(methods())


def method_class(name: str) -> type[Method]:
    found = methods()
    if name not in found:
        raise ValueError(f"unknown method {name!r}; valid: {list(found)}")
    return found[name]


def unsupported_reason(benchmark: str, scenario: str, method: str) -> str | None:
    """Why ``method`` cannot run on this cell, or None if it can."""
    b, cls = spec(benchmark), method_class(method)
    if scenario not in SCENARIOS:
        return f"unknown scenario {scenario!r}; valid: {list(SCENARIOS)}"
    if scenario not in b.scenarios:
        return f"benchmark {benchmark!r} does not support scenario {scenario!r}; valid: {list(b.scenarios)}"
    if scenario not in cls.supports:
        ok = sorted(set(b.scenarios) & cls.supports)
        return f"method {method!r} does not support scenario {scenario!r} on {benchmark!r}; supported scenarios: {ok}"
    if cls.needs_flat_input and not b.flat_input:
        return f"method {method!r} needs flat inputs; {benchmark!r} has inputs of shape {b.input_shape}"
    if cls.classification_only and b.regression:
        return f"method {method!r} is for classification; {benchmark!r} is a regression benchmark"
    return None


def supported(benchmark: str, scenario: str, method: str) -> bool:
    return unsupported_reason(benchmark, scenario, method) is None
