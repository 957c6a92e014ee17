"""The table of run requests a workflow configuration asks for, built once per DAG.

Every training job of the workflow is a row here: the grid (benchmark x scenario x method x seed),
every sweep point, the HNET+ENT study's variants and the Fig. 4 run. Each row is a ``RunRequest``
with its folder under the results directory; the workflow's one training rule trains rows, its
params are their cell fingerprint, and the aggregation checks their run fingerprints. Mistakes in
the configuration stop here with a ``ConfigError`` naming the entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hnet.benchmarks import BENCHMARKS, data_paths, label, parse_label, spec
from hnet.errors import ConfigError
from hnet.registry import method_names, unsupported_reason
from hnet.run.request import RunRequest


@dataclass
class RequestTable:
    requests: list[RunRequest] = field(default_factory=list)
    external: list[tuple[str, str, str, int]] = field(default_factory=list)  # (label, scenario, method, seed)
    notices: list[str] = field(default_factory=list)

    def by_folder(self) -> dict[str, RunRequest]:
        return {r.folder: r for r in self.requests}

    def of(self, kind: str) -> list[RunRequest]:
        """The requests of one kind: grid, sweep, ent_study or embedding_grid."""
        return [r for r in self.requests if r.purpose[0] == kind]


def grid_folder(lab: str, scenario: str, method: str, seed: int) -> str:
    return f"runs/{lab}/{scenario}/{method}/seed{seed}"


class GridBuilder:
    """Reads the workflow config (already schema-validated) into a ``RequestTable``."""

    def __init__(self, config: dict):
        self.config = config
        self.registered = method_names()
        self.external = config.get("external_methods", {})
        self.table = RequestTable()
        self._preset_keys: dict[tuple, set] = {}

    def fail(self, where: str, msg: str):
        raise ConfigError(f"{where}: {msg}")

    def benchmark_on(self, bench: str) -> bool:
        b = self.config["benchmarks"].get(bench)
        return b is not None and b.get("enabled", True) and bench not in self._skipped

    def keys_read(self, bench: str, scenario: str, method: str) -> set:
        """The configuration keys a cell reads (its preset resolution, no overrides)."""
        key = (bench, scenario, method)
        if key not in self._preset_keys:
            self._preset_keys[key] = set(RunRequest(bench, scenario, method, 1).config)
        return self._preset_keys[key]

    def cell_overrides(self, lab: str, scenario: str, method: str) -> dict:
        """This workflow's overrides for one cell: those whose key the cell reads, and its dataset."""
        bench, dataset = parse_label(lab)
        bspec = self.config["benchmarks"][bench]
        overrides = {**self.config.get("overrides", {}).get("all", {}), **bspec.get("overrides", {})}
        chosen = {k: v for k, v in overrides.items() if k in self.keys_read(bench, scenario, method)}
        if dataset != spec(bench).default_dataset:
            chosen["dataset"] = dataset
        return chosen

    def add(self, where: str, request: RunRequest) -> None:
        try:
            request.resolved  # noqa: B018 (resolve now, so that a bad value stops the DAG here)
        except ConfigError as err:
            self.fail(where, str(err))
        self.table.requests.append(request)

    def build(self) -> RequestTable:
        self._skipped = {
            b
            for b, s in self.config["benchmarks"].items()
            if s.get("enabled", True) and b in BENCHMARKS and self.data_missing_and_skipped(b, s)
        }
        self.check_names()
        self.grid()
        self.sweeps()
        self.ent_study()
        self.embedding_grid()
        folders = [r.folder for r in self.table.requests]
        if len(set(folders)) != len(folders):
            dup = sorted({f for f in folders if folders.count(f) > 1})
            raise ConfigError(f"two run requests write the same folder: {dup[:3]}")
        return self.table

    def check_names(self) -> None:
        for m in self.external:
            if m in self.registered:
                self.fail(f"external_methods.{m}", f"{m!r} is also a registered method (hnet.registry); rename one")
        for bench, bspec in self.config["benchmarks"].items():
            if bspec.get("enabled", True) and bench not in BENCHMARKS:
                self.fail("benchmarks", f"unknown benchmark {bench!r}; valid: {sorted(BENCHMARKS)}")

    def data_missing_and_skipped(self, bench: str, bspec: dict) -> bool:
        """With ``if_data_missing: skip``, a benchmark whose data files are absent is left out, with a notice."""
        if bspec.get("if_data_missing", "download") != "skip":
            return False
        datasets = bspec.get("datasets", [spec(bench).default_dataset]) if spec(bench).default_dataset else [None]
        missing = [
            p
            for ds in datasets
            for p in data_paths(
                bench, {"dataset": ds} if ds else {}, self.config["data_dir"], self.config.get("dataset_dirs")
            )
            if not Path(p).exists()
        ]
        if missing:
            self.table.notices.append(
                f"benchmark {bench}: {len(missing)} data file(s) missing (e.g. {missing[0]}); "
                "left out (if_data_missing: skip)"
            )
        return bool(missing)

    def grid(self) -> None:
        valid_methods = self.registered + sorted(self.external)
        for bench, bspec in self.config["benchmarks"].items():
            if not self.benchmark_on(bench):
                continue
            where = f"benchmarks.{bench}"
            for sc in bspec["scenarios"]:
                if sc not in spec(bench).scenarios:
                    self.fail(
                        f"{where}.scenarios",
                        f"{sc!r} is not a scenario of {bench}; valid: {list(spec(bench).scenarios)}",
                    )
            labels = [label(bench, ds) for ds in bspec.get("datasets", [spec(bench).default_dataset])]
            overrides = {**self.config.get("overrides", {}).get("all", {}), **bspec.get("overrides", {})}
            # An override is a mistake only when no method the suite knows reads it on this benchmark:
            # a configuration layered over another may restrict the methods and keep its overrides.
            known = {
                k
                for m in self.registered
                for sc in bspec["scenarios"]
                if unsupported_reason(bench, sc, m) is None
                for k in self.keys_read(bench, sc, m)
            }
            for m in bspec.get("methods", self.config["methods"]):
                if m not in valid_methods:
                    self.fail("methods", f"unknown method {m!r}; valid: {valid_methods}")
                if m in self.external:
                    ok = [
                        sc for sc in bspec["scenarios"] if sc in self.external[m].get("benchmarks", {}).get(bench, [])
                    ]
                    why = f"external_methods.{m} lists none of them"
                else:
                    ok = [sc for sc in bspec["scenarios"] if unsupported_reason(bench, sc, m) is None]
                    why = "; ".join(unsupported_reason(bench, sc, m) or "" for sc in bspec["scenarios"])
                if not ok and "methods" in bspec:  # listed for this benchmark explicitly: a mistake
                    self.fail(where, f"method {m!r} supports none of its scenarios {bspec['scenarios']}: {why}")
                for sc in ok:
                    for lab in labels:
                        seeds = range(1, bspec["seeds"] + 1)
                        if m in self.external:
                            self.table.external += [(lab, sc, m, seed) for seed in seeds]
                            continue
                        extra = self.cell_overrides(lab, sc, m)
                        for seed in seeds:
                            self.add(where, RunRequest(bench, sc, m, seed, extra, grid_folder(lab, sc, m, seed)))
            for key in sorted(set(overrides) - known):
                self.fail(f"{where}.overrides", f"unknown config key {key!r}; valid: {sorted(known)}")

    def cell_of(self, where: str, cell: str, n_parts: int) -> list[str] | None:
        """The parts of a 'label/scenario[/method]' entry, or None when its benchmark is off."""
        parts = cell.split("/")
        if len(parts) != n_parts:
            self.fail(where, f"{cell!r}: expected {'label/scenario/method' if n_parts == 3 else 'label/scenario'}")
        bench = parts[0].partition("-")[0]  # the benchmark of a label, before it is known to exist
        if bench not in self.config["benchmarks"]:
            self.fail(
                where,
                f"{cell!r} names benchmark {bench!r}, which is not under 'benchmarks'; "
                f"configured: {sorted(self.config['benchmarks'])}",
            )
        return parts if self.benchmark_on(bench) else None  # a layered config that switches it off drops it

    def sweeps(self) -> None:
        for sweep in self.config.get("sweeps", []):
            name, where = sweep["name"], f"sweeps.{sweep['name']}"
            if not sweep.get("enabled", True):
                continue
            parts = self.cell_of(f"{where}.cell", sweep["cell"], 3)
            if parts is None:
                continue
            lab, sc, m = parts
            bench = parse_label(lab)[0]
            why = unsupported_reason(bench, sc, m) if m in self.registered else f"unknown method {m!r}"
            if why:
                self.fail(f"{where}.cell", why)
            for point, extra in sweep_points(sweep).items():
                overrides = {**self.cell_overrides(lab, sc, m), **extra}
                for seed in range(1, sweep["seeds"] + 1):
                    self.add(
                        f"{where}, point {point!r}",
                        RunRequest(
                            bench,
                            sc,
                            m,
                            seed,
                            overrides,
                            f"sweeps/{name}/{point}/seed{seed}",
                            purpose=("sweep", name, point),
                        ),
                    )

    def ent_study(self) -> None:
        study = self.config.get("ent_study", {"enabled": False})
        if not study.get("enabled", True):
            return
        names = [v["name"] for v in study["variants"]]
        if len(set(names)) != len(names):
            self.fail("ent_study.variants", f"names must be unique, got {names}")
        for cell in study["cells"]:
            parts = self.cell_of("ent_study.cells", cell, 2)
            if parts is None:
                continue
            lab, sc = parts
            why = unsupported_reason(parse_label(lab)[0], sc, "hnet_ent")
            if why:
                self.fail("ent_study.cells", f"{cell!r}: {why}")
            for variant in study["variants"]:
                overrides = {
                    **self.cell_overrides(lab, sc, "hnet_ent"),
                    **variant["overrides"],
                    "val_fraction": study["val_fraction"],
                }
                for seed in range(1, study["seeds"] + 1):
                    self.add(
                        f"ent_study.variants.{variant['name']}",
                        RunRequest(
                            parse_label(lab)[0],
                            sc,
                            "hnet_ent",
                            seed,
                            overrides,
                            f"ent_study/{lab}/{sc}/{variant['name']}/seed{seed}",
                            True,
                            ("ent_study", variant["name"]),
                        ),
                    )

    def embedding_grid(self) -> None:
        fig4 = self.config.get("embedding_grid", {"enabled": False})
        if not fig4.get("enabled", True):
            return
        parts = self.cell_of("embedding_grid.cell", fig4["cell"], 2)
        if parts is None:
            return
        lab, sc = parts
        overrides = {**self.cell_overrides(lab, sc, "hnet"), **fig4["overrides"], "emb_dim": 2}
        self.add(
            "embedding_grid.overrides",
            RunRequest(
                parse_label(lab)[0],
                sc,
                "hnet",
                fig4["seed"],
                overrides,
                f"embedding_grid/{lab}/{sc}/seed{fig4['seed']}",
                True,
                ("embedding_grid",),
            ),
        )


def sweep_points(sweep: dict) -> dict[str, dict]:
    """point name -> overrides of that point."""
    if "points" in sweep:
        return {p["name"]: p["overrides"] for p in sweep["points"]}
    return {(f"{v:g}" if isinstance(v, float) else str(v)): {sweep["parameter"]: v} for v in sweep["values"]}


def build_requests(config: dict) -> RequestTable:
    """Every training job ``config`` (a workflow configuration) asks for."""
    return GridBuilder(config).build()


def external_args(entry: dict, benchmark: str, scenario: str) -> dict:
    """An external method's arguments for one cell: its entry's ``args``, then ``cell_args`` of
    'benchmark/scenario' over them."""
    return {**entry.get("args", {}), **entry.get("cell_args", {}).get(f"{benchmark}/{scenario}", {})}


def cell_overrides(config: dict, lab: str, scenario: str, method: str) -> dict:
    """The overrides a run of registered ``method`` in cell ``lab``/``scenario`` gets from the
    workflow configuration ``config`` (for external rules that match a cell's settings)."""
    return GridBuilder(config).cell_overrides(lab, scenario, method)
