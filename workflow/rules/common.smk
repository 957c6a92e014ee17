# Helpers: the run grid, its validation against the hnet package, and target lists.
import json
from pathlib import Path

from hnet.benchmarks import BUILDERS, scenarios_of
from hnet.config import ConfigError, resolve
from hnet.methods import method_class, method_names

RESULTS = config["results"]
MNIST_FILES = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
]


def _fail(msg):
    raise WorkflowError(f"config error: {msg}")


def build_grid(cfg):
    """(benchmark, scenario, method, seed) of every training job; config mistakes stop the DAG."""
    valid_methods = method_names()
    cells = []
    for bench, spec in cfg["benchmarks"].items():
        if not spec.get("enabled", True):
            continue
        if bench not in BUILDERS:
            _fail(f"unknown benchmark {bench!r} under 'benchmarks'; valid: {sorted(BUILDERS)}")
        supported = scenarios_of(bench)
        for sc in spec["scenarios"]:
            if sc not in supported:
                _fail(f"benchmarks.{bench}.scenarios: {sc!r} is not a scenario of {bench}; valid: {list(supported)}")
        methods = spec.get("methods", cfg["methods"])
        overrides = {**cfg.get("overrides", {}).get("all", {}), **spec.get("overrides", {})}
        known = set()
        for m in methods:
            if m not in valid_methods:
                _fail(f"unknown method {m!r}; valid: {valid_methods}")
            ok = [sc for sc in spec["scenarios"] if sc in method_class(m).supports]
            if not ok and "methods" in spec:  # listed for this benchmark explicitly: a mistake
                _fail(
                    f"method {m!r} supports none of benchmarks.{bench}.scenarios {spec['scenarios']}; "
                    f"it supports {sorted(method_class(m).supports)}"
                )
            for sc in ok:
                known |= set(resolve(bench, sc, m)[0])
                try:
                    resolve(bench, sc, m, {k: v for k, v in overrides.items() if _applies(k, bench, sc, m)})
                except ConfigError as err:
                    _fail(f"benchmarks.{bench}.overrides: {err}")
                for seed in range(1, spec["seeds"] + 1):
                    cells.append((bench, sc, m, seed))
        for key in sorted(set(overrides) - known):
            _fail(f"benchmarks.{bench}.overrides: unknown config key {key!r}; valid: {sorted(known)}")
    return cells


def _applies(key, bench, scenario, method):
    """Overrides apply where the preset defines the key (e.g. ewc_lambda only to ewc runs)."""
    try:
        return key in resolve(bench, scenario, method)[0]
    except ConfigError:
        return False


GRID = build_grid(config)
BENCHMARKS = sorted({b for b, _, _, _ in GRID})
PANELS = sorted({(b, s) for b, s, _, _ in GRID})
METHOD_ORDER = list(config["methods"])


wildcard_constraints:
    benchmark="|".join(BUILDERS),
    scenario="cl1|cl2|cl3",
    method="[a-z_]+",
    seed=r"\d+",
    kind="accuracy_matrix|final_per_task|final_vs_during",
    variant="[a-z0-9_]+",


def run_path(bench, scenario, method, seed):
    return f"{RESULTS}/runs/{bench}/{scenario}/{method}/seed{seed}/metrics.json"


def all_runs():
    paths = [run_path(*cell) for cell in GRID]
    if config["on_missing_runs"] == "skip":
        # Aggregate only finished runs (after failures under keep-going); n in the tables shows the gaps.
        paths = [p for p in paths if Path(p).exists()]
    return paths


def overrides_for(bench, scenario, method, extra=None):
    """The `--set` arguments of one run: global and benchmark overrides that apply to it, then extra."""
    spec = config["benchmarks"][bench]
    overrides = {**config.get("overrides", {}).get("all", {}), **spec.get("overrides", {})}
    chosen = {k: v for k, v in overrides.items() if _applies(k, bench, scenario, method)}
    chosen.update(extra or {})
    return " ".join(f"--set {k}={json.dumps(v, separators=(',', ':'))}" for k, v in chosen.items())


def run_overrides(wildcards):
    return overrides_for(wildcards.benchmark, wildcards.scenario, wildcards.method)


# -- HNET+ENT gap study: hnet_ent runs with a validation split, task-selection rules chosen on it --
ENT_STUDY = config.get("ent_study", {"enabled": False})


def ent_study_variants(study):
    names = [v["name"] for v in study["variants"]]
    if len(set(names)) != len(names):
        _fail(f"ent_study.variants: names must be unique, got {names}")
    return {v["name"]: v["overrides"] for v in study["variants"]}


def build_ent_study(study):
    if not study.get("enabled", True):
        return []
    cells = []
    for cell in study["cells"]:
        bench, scenario = cell.split("/")
        if bench not in config["benchmarks"]:
            _fail(f"ent_study.cells: {cell!r} names benchmark {bench!r}, which is not under 'benchmarks'; "
                  f"configured: {sorted(config['benchmarks'])}")
        if not config["benchmarks"][bench].get("enabled", True):
            continue  # a layered config that switches a benchmark off also drops its study cells
        if scenario not in scenarios_of(bench):
            _fail(f"ent_study.cells: {cell!r}: {scenario!r} is not a scenario of {bench}")
        for variant, extra in ent_study_variants(study).items():
            try:
                resolve(bench, scenario, "hnet_ent", extra)
            except ConfigError as err:
                _fail(f"ent_study.variants.{variant}: {err}")
            cells += [(bench, scenario, variant, seed) for seed in range(1, study["seeds"] + 1)]
    return cells


ENT_STUDY_RUNS = build_ent_study(ENT_STUDY)


def ent_study_overrides(wildcards):
    extra = {**ent_study_variants(ENT_STUDY)[wildcards.variant], "val_fraction": ENT_STUDY["val_fraction"]}
    return overrides_for(wildcards.benchmark, wildcards.scenario, "hnet_ent", extra)


def ent_study_results():
    return [f"{RESULTS}/ent_study/{b}/{s}/{v}/seed{seed}/study.json" for b, s, v, seed in ENT_STUDY_RUNS]


def data_inputs(wildcards):
    if wildcards.benchmark == "regression":
        return []
    return [f"{config['data_dir']}/MNIST/raw/{f}" for f in MNIST_FILES]


def figure_targets():
    out = []
    for b, s in PANELS:
        kinds = ["accuracy_matrix", "final_per_task", "final_vs_during"]
        out += [f"{RESULTS}/figures/{k}/{b}_{s}.png" for k in kinds]
    if "regression" in BENCHMARKS:
        out.append(f"{RESULTS}/figures/regression_fits.png")
    return out


def final_outputs():
    tables = [f"{RESULTS}/tables/{b}_{q}.md" for b in BENCHMARKS for q in ("final", "during")]
    return [f"{RESULTS}/tables/runs.csv", f"{RESULTS}/tables/table1_final.md", *tables, *figure_targets(),
            *ent_study_results(), f"{RESULTS}/report.md"]


def expected_seeds():
    return {b: spec["seeds"] for b, spec in config["benchmarks"].items() if spec.get("enabled", True)}


def expected_cells():
    """'benchmark/scenario/method' -> configured number of seeds, for the n column of the tables."""
    cells = {}
    for b, s, m, _ in GRID:
        key = f"{b}/{s}/{m}"
        cells[key] = cells.get(key, 0) + 1
    return cells
