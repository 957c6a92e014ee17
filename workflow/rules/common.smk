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


def run_path(bench, scenario, method, seed):
    return f"{RESULTS}/runs/{bench}/{scenario}/{method}/seed{seed}/metrics.json"


def all_runs():
    paths = [run_path(*cell) for cell in GRID]
    if config["on_missing_runs"] == "skip":
        # Aggregate only finished runs (after failures under keep-going); n in the tables shows the gaps.
        paths = [p for p in paths if Path(p).exists()]
    return paths


def run_overrides(wildcards):
    spec = config["benchmarks"][wildcards.benchmark]
    overrides = {**config.get("overrides", {}).get("all", {}), **spec.get("overrides", {})}
    pairs = [
        f"--set {k}={json.dumps(v, separators=(',', ':'))}"
        for k, v in overrides.items()
        if _applies(k, wildcards.benchmark, wildcards.scenario, wildcards.method)
    ]
    return " ".join(pairs)


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
            f"{RESULTS}/report.md"]


def expected_seeds():
    return {b: spec["seeds"] for b, spec in config["benchmarks"].items() if spec.get("enabled", True)}


def expected_cells():
    """'benchmark/scenario/method' -> configured number of seeds, for the n column of the tables."""
    cells = {}
    for b, s, m, _ in GRID:
        key = f"{b}/{s}/{m}"
        cells[key] = cells.get(key, 0) + 1
    return cells
