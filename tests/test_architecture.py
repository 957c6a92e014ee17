"""Package boundaries: imports go one way, no cycles, modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGES = ("hnet", "baselines")
# place -> what it must never import (prefixes of module names)
FORBIDDEN = {
    "hnet.core": ("hnet.methods", "baselines", "hnet.registry", "hnet.run", "hnet.tools", "hnet.analysis"),
    "hnet.nets": (
        "hnet.core",
        "hnet.benchmarks",
        "hnet.methods",
        "baselines",
        "hnet.registry",
        "hnet.run",
        "hnet.analysis",
    ),
    "hnet.benchmarks": (
        "hnet.core",
        "hnet.nets",
        "hnet.methods",
        "baselines",
        "hnet.registry",
        "hnet.run",
        "hnet.analysis",
    ),
    "hnet.methods": ("baselines", "hnet.registry", "hnet.run", "hnet.tools", "hnet.analysis"),
    "baselines": ("hnet.methods", "hnet.registry", "hnet.run", "hnet.tools", "hnet.analysis"),
    "hnet.analysis": ("hnet.methods", "baselines", "hnet.registry", "hnet.run", "hnet.tools", "hnet.nets"),
    "hnet.registry": ("hnet.run", "hnet.tools", "hnet.analysis"),
    "hnet.run": ("hnet.tools", "hnet.analysis"),
}
MAX_LINES = 300


def modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (REPO / pkg).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Modules of this project that ``path`` imports anywhere (module level or inside functions)."""
    found = set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for n in names:
            while n and n not in known:
                n = n.rpartition(".")[0]
            if n and n != name:
                found.add(n)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports(path, name, set(mods)) for name, path in mods.items()}


def test_no_import_cycles():
    g = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(g[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_imports_go_one_way():
    bad = []
    for mod, deps in graph().items():
        for place, forbidden in FORBIDDEN.items():
            if mod == place or mod.startswith(place + "."):
                bad += [f"{mod} imports {d}" for d in deps if any(d == f or d.startswith(f + ".") for f in forbidden)]
    assert not bad, "\n".join(bad)


def test_modules_stay_small():
    big = {n: len(p.read_text().splitlines()) for n, p in modules().items()}
    assert not {n: k for n, k in big.items() if k > MAX_LINES}, "split these modules"
