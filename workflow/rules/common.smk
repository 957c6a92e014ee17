# Helpers: the run grid from the config and the hnet registries, its checks, and target lists.
# Nothing here lists benchmarks, scenarios, methods or figure kinds: the registries do.
import json
from pathlib import Path

from hnet.analysis.figures import FIGURES
from hnet.benchmarks import BENCHMARKS, DATASETS, SCENARIOS, data_paths, spec
from hnet.registry import method_names, unsupported_reason
from hnet.run.config import ConfigError, resolve

RESULTS = config["results"]
REGISTERED = method_names()
EXTERNAL = config.get("external_methods", {})  # baselines run by their own rules (rules/external/)


def _fail(msg):
    raise WorkflowError(f"config error: {msg}")


def _external_cells(method, bench):
    """Scenarios an external method covers on ``bench`` (from its config entry)."""
    return EXTERNAL[method].get("benchmarks", {}).get(bench, [])


def _check_names():
    for m in EXTERNAL:
        if m in REGISTERED:
            _fail(f"external_methods.{m}: {m!r} is also a registered method (hnet.registry); rename one")
    for bench, spec_ in config["benchmarks"].items():
        if spec_.get("enabled", True) and bench not in BENCHMARKS:
            _fail(f"unknown benchmark {bench!r} under 'benchmarks'; valid: {sorted(BENCHMARKS)}")


def build_grid(cfg):
    """(benchmark, scenario, method, seed) of every training job; config mistakes stop the DAG."""
    _check_names()
    valid_methods = REGISTERED + sorted(EXTERNAL)
    cells = []
    for bench, bspec in cfg["benchmarks"].items():
        if not bspec.get("enabled", True):
            continue
        supported = spec(bench).scenarios
        for sc in bspec["scenarios"]:
            if sc not in supported:
                _fail(f"benchmarks.{bench}.scenarios: {sc!r} is not a scenario of {bench}; valid: {list(supported)}")
        methods = bspec.get("methods", cfg["methods"])
        overrides = {**cfg.get("overrides", {}).get("all", {}), **bspec.get("overrides", {})}
        known = set()
        for m in methods:
            if m not in valid_methods:
                _fail(f"unknown method {m!r}; valid: {valid_methods}")
            if m in EXTERNAL:
                ok = [sc for sc in bspec["scenarios"] if sc in _external_cells(m, bench)]
            else:
                ok = [sc for sc in bspec["scenarios"] if unsupported_reason(bench, sc, m) is None]
            if not ok and "methods" in bspec:  # listed for this benchmark explicitly: a mistake
                why = "; ".join(unsupported_reason(bench, sc, m) or "" for sc in bspec["scenarios"]) \
                    if m not in EXTERNAL else f"external_methods.{m} lists none of them"
                _fail(f"method {m!r} supports none of benchmarks.{bench}.scenarios {bspec['scenarios']}: {why}")
            for sc in ok:
                if m not in EXTERNAL:
                    known |= set(resolve(bench, sc, m)[0])
                    try:
                        resolve(bench, sc, m, {k: v for k, v in overrides.items() if _applies(k, bench, sc, m)})
                    except ConfigError as err:
                        _fail(f"benchmarks.{bench}.overrides: {err}")
                for seed in range(1, bspec["seeds"] + 1):
                    cells.append((bench, sc, m, seed))
        for key in sorted(set(overrides) - known):
            _fail(f"benchmarks.{bench}.overrides: unknown config key {key!r}; valid: {sorted(known)}")
    return cells


def _applies(key, bench, scenario, method):
    """Overrides apply where the run's config has the key (e.g. ewc_lambda only to ewc runs)."""
    if method in EXTERNAL:
        return False
    try:
        return key in resolve(bench, scenario, method)[0]
    except ConfigError:
        return False


GRID = build_grid(config)
BENCHMARKS_RUN = sorted({b for b, _, _, _ in GRID})
PANELS = sorted({(b, s) for b, s, _, _ in GRID})
METHOD_ORDER = list(config["methods"])


wildcard_constraints:
    benchmark="|".join(BENCHMARKS),
    scenario="|".join(SCENARIOS),
    method="|".join(REGISTERED),  # external methods have rules of their own
    seed=r"\d+",
    kind="|".join(FIGURES),
    variant="[a-z][a-z0-9_]*",


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
    bspec = config["benchmarks"][bench]
    overrides = {**config.get("overrides", {}).get("all", {}), **bspec.get("overrides", {})}
    chosen = {k: v for k, v in overrides.items() if _applies(k, bench, scenario, method)}
    chosen.update(extra or {})
    return " ".join(f"--set {k}={json.dumps(v, separators=(',', ':'))}" for k, v in chosen.items())


def run_overrides(wildcards):
    return overrides_for(wildcards.benchmark, wildcards.scenario, wildcards.method)


def data_inputs(wildcards):
    """The data files a benchmark reads (nothing for the toy regression)."""
    return data_paths(wildcards.benchmark, config["data_dir"])


def datasets_used():
    return sorted({ds for b in BENCHMARKS_RUN for ds in spec(b).datasets})


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
        why = unsupported_reason(bench, scenario, "hnet_ent")
        if why:
            _fail(f"ent_study.cells: {cell!r}: {why}")
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


def figure_targets():
    out = [f"{RESULTS}/figures/{k}/{b}_{s}.png" for b, s in PANELS for k in FIGURES]
    if "regression" in BENCHMARKS_RUN:
        out.append(f"{RESULTS}/figures/regression_fits.png")
    return out


def final_outputs():
    tables = [f"{RESULTS}/tables/{b}_{q}.md" for b in BENCHMARKS_RUN for q in ("final", "during")]
    return [f"{RESULTS}/tables/runs.csv", f"{RESULTS}/tables/table1_final.md", *tables, *figure_targets(),
            *ent_study_results(), f"{RESULTS}/report.md"]


def expected_seeds():
    return {b: s["seeds"] for b, s in config["benchmarks"].items() if s.get("enabled", True)}


def expected_cells():
    """'benchmark/scenario/method' -> configured number of seeds, for the n column of the tables."""
    cells = {}
    for b, s, m, _ in GRID:
        key = f"{b}/{s}/{m}"
        cells[key] = cells.get(key, 0) + 1
    return cells
