# Helpers: the run grid from the config and the hnet registries, its checks, and target lists.
# Nothing here lists benchmarks, scenarios, methods or figure kinds: the registries do.
import json
import sys
from pathlib import Path

from hnet.analysis.figures import FIGURES
from functools import cache

from hnet.benchmarks import BENCHMARKS, DATASETS, SCENARIOS, data_paths, label, parse_label, spec
from hnet.errors import ConfigError
from hnet.registry import method_names, unsupported_reason
from hnet.run.config import fingerprint, resolve

RESULTS = config["results"]
REGISTERED = method_names()
EXTERNAL = config.get("external_methods", {})  # baselines run by their own rules (rules/external/)
DATASET_CHOICES = {b: list(s.settings["dataset"].choices) for b, s in BENCHMARKS.items() if "dataset" in s.settings}


def _fail(msg):
    raise WorkflowError(f"config error: {msg}")


def _external_cells(method, bench):
    """Scenarios an external method covers on ``bench`` (from its config entry)."""
    return EXTERNAL[method].get("benchmarks", {}).get(bench, [])


def _check_names():
    for m in EXTERNAL:
        if m in REGISTERED:
            _fail(f"external_methods.{m}: {m!r} is also a registered method (hnet.registry); rename one")
    for bench, bspec in config["benchmarks"].items():
        if bspec.get("enabled", True) and bench not in BENCHMARKS:
            _fail(f"unknown benchmark {bench!r} under 'benchmarks'; valid: {sorted(BENCHMARKS)}")


def data_missing_and_skipped(bench, bspec):
    """With `if_data_missing: skip`, a benchmark whose data files are absent is left out, with a notice."""
    if bspec.get("if_data_missing", "download") != "skip":
        return False
    datasets = bspec.get("datasets", [spec(bench).default_dataset]) if spec(bench).default_dataset else [None]
    missing = [p for ds in datasets
               for p in data_paths(bench, {"dataset": ds} if ds else {}, config["data_dir"]) if not Path(p).exists()]
    if missing:
        print(f"NOTICE benchmark {bench}: {len(missing)} data file(s) missing (e.g. {missing[0]}); left out "
              "(if_data_missing: skip)", file=sys.stderr)
    return bool(missing)


@cache
def preset_config(bench, scenario, method):
    """The run config of a cell before this workflow's overrides."""
    return resolve(bench, scenario, method)[0]


def cell_overrides(lab, scenario, method):
    """This workflow's overrides for one cell: those whose key the run has, and its dataset."""
    bench, dataset = parse_label(lab)
    bspec = config["benchmarks"][bench]
    overrides = {**config.get("overrides", {}).get("all", {}), **bspec.get("overrides", {})}
    chosen = {k: v for k, v in overrides.items() if k in preset_config(bench, scenario, method)}
    if dataset != spec(bench).default_dataset:
        chosen["dataset"] = dataset
    return chosen


def build_grid(cfg):
    """(label, scenario, method, seed) of every training job and the resolved config of each
    registered method's cell; config mistakes stop the DAG."""
    _check_names()
    valid_methods = REGISTERED + sorted(EXTERNAL)
    cells, resolved = [], {}
    for bench, bspec in cfg["benchmarks"].items():
        if not bspec.get("enabled", True) or data_missing_and_skipped(bench, bspec):
            continue
        supported = spec(bench).scenarios
        for sc in bspec["scenarios"]:
            if sc not in supported:
                _fail(f"benchmarks.{bench}.scenarios: {sc!r} is not a scenario of {bench}; valid: {list(supported)}")
        labels = [label(bench, ds) for ds in bspec.get("datasets", [spec(bench).default_dataset])]
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
            for sc, lab in ((sc, lab) for sc in ok for lab in labels):
                if m not in EXTERNAL:
                    known |= set(preset_config(bench, sc, m))
                    try:
                        resolved[(lab, sc, m)] = resolve(bench, sc, m, cell_overrides(lab, sc, m))[0]
                    except ConfigError as err:
                        _fail(f"benchmarks.{bench}: {err}")
                cells += [(lab, sc, m, seed) for seed in range(1, bspec["seeds"] + 1)]
        for key in sorted(set(overrides) - known):
            _fail(f"benchmarks.{bench}.overrides: unknown config key {key!r}; valid: {sorted(known)}")
    return cells, resolved


GRID, RESOLVED = build_grid(config)
LABELS_RUN = sorted({b for b, _, _, _ in GRID})
PANELS = sorted({(b, s) for b, s, _, _ in GRID})
METHOD_ORDER = list(config["methods"])
FINGERPRINTS = {
    (lab, sc, m, seed): fingerprint(parse_label(lab)[0], sc, m, seed, RESOLVED[(lab, sc, m)])
    for lab, sc, m, seed in GRID
    if m in REGISTERED
}


wildcard_constraints:
    benchmark="|".join(sorted({label(b, ds) for b in BENCHMARKS for ds in
                               (DATASET_CHOICES.get(b) or [spec(b).default_dataset])})),
    scenario="|".join(SCENARIOS),
    method="|".join(REGISTERED),  # external methods have rules of their own
    seed=r"\d+",
    kind="|".join(FIGURES),
    variant="[a-z][a-z0-9_]*",
    sweep="[a-z][a-z0-9_]*",
    point="[A-Za-z0-9_.+-]+",


# What a training job of each benchmark asks the scheduler for. gpu_share: percent of one GPU (small
# MLP runs share a GPU, PermutedMNIST-100 and CIFAR take a whole one); gpu_mem_mb: GPU memory, an
# estimate (CUDA context ~500 MB + the benchmark's tensors on the device + model and optimiser state;
# PermutedMNIST permutes on the fly, so its tasks share one copy of the images); mem_mb: host memory;
# runtime: a SLURM time limit in minutes (a job that hits it is resubmitted and resumes from its
# checkpoint). A benchmark entry may set `runtime_minutes` to change the limit.
JOB_CLASS = {
    "regression": {"gpu_share": 10, "gpu_mem_mb": 600, "mem_mb": 1500, "runtime": 30},
    "split_mnist": {"gpu_share": 20, "gpu_mem_mb": 1000, "mem_mb": 3000, "runtime": 240},
    "permuted_mnist": {"gpu_share": 25, "gpu_mem_mb": 1500, "mem_mb": 4000, "runtime": 720},
    "permuted_mnist_100": {"gpu_share": 100, "gpu_mem_mb": 2500, "mem_mb": 8000, "runtime": 2880},
    "split_cifar": {"gpu_share": 100, "gpu_mem_mb": 3000, "mem_mb": 6000, "runtime": 2880},
    "split_cifar_zenke": {"gpu_share": 50, "gpu_mem_mb": 3000, "mem_mb": 6000, "runtime": 720},
}
DEFAULT_JOB_CLASS = {"gpu_share": 100, "gpu_mem_mb": 4000, "mem_mb": 4000, "runtime": 720}
GPU_RESOURCES = ("gpu_share", "gpu_mem_mb")


def provide_gpu_resources():
    """On a GPU machine the workflow itself provides the pool that gpu_share and gpu_mem_mb draw
    from (config `gpus`, `gpu_memory_mb`), unless --resources or a profile already set it: a
    profile for a cluster sets them beyond reach, since there each job gets its own GPU."""
    if not config["gpu"]:
        return
    pool = {"gpu_share": 100 * config["gpus"]}
    if config["gpu_memory_mb"]:
        pool["gpu_mem_mb"] = config["gpus"] * config["gpu_memory_mb"]
    for name, value in pool.items():
        if name not in workflow.global_resources:
            workflow.register_resource(name, value)
    given = {k: getattr(v, "value", v) for k, v in workflow.global_resources.items() if k in GPU_RESOURCES}
    print("GPU pool: " + " ".join(f"{k}={v}" for k, v in sorted(given.items(), key=lambda kv: GPU_RESOURCES.index(kv[0]))),
          file=sys.stderr)


provide_gpu_resources()


def job_resource(key, seeds=1):
    """A rule's resource `key` from the job's benchmark (wildcard `benchmark` or `cell`, or the
    sweep's cell); ``seeds`` packed in one job scale what they share."""

    def get(wildcards):
        if "benchmark" in wildcards.keys():
            lab = wildcards.benchmark
        elif "cell" in wildcards.keys():
            lab = split_cell(wildcards.cell)[0]
        else:
            lab = SWEEPS[wildcards.sweep]["cell"].split("/")[0]
        bench = parse_label(lab)[0]
        if key in GPU_RESOURCES and not config["gpu"]:
            return 0
        if key == "runtime" and "runtime_minutes" in config["benchmarks"].get(bench, {}):
            return config["benchmarks"][bench]["runtime_minutes"] * seeds
        value = JOB_CLASS.get(bench, DEFAULT_JOB_CLASS)[key]
        # Packed seeds: one share per seed up to a whole GPU; the data is shared, each further seed
        # adds its weights, optimiser state and activations (estimated at 200 MB on either side).
        return {"gpu_share": min(100, value * seeds), "runtime": value * seeds}.get(key, value + 200 * (seeds - 1))

    return get


def run_path(lab, scenario, method, seed):
    return f"{RESULTS}/runs/{lab}/{scenario}/{method}/seed{seed}/metrics.json"


def all_runs():
    paths = [run_path(*cell) for cell in GRID]
    if config["on_missing_runs"] == "skip":
        # Aggregate only finished runs (after failures under keep-going); n in the tables shows the gaps.
        paths = [p for p in paths if Path(p).exists()]
    return paths


def expected_fingerprints():
    """run path -> the fingerprint its metrics.json must record (registered methods only)."""
    return {run_path(*cell): fp for cell, fp in FINGERPRINTS.items()}


def set_args(overrides):
    return " ".join(f"--set {k}={json.dumps(v, separators=(',', ':'))}" for k, v in overrides.items())


def cell_fingerprint(lab, scenario, method):
    """The fingerprint of a cell's resolved config, seed left out (0 stands for none): what the
    training rules' params record, the same whether a seed trains alone or packed with others, so
    that turning seed packing on or off retrains nothing."""
    return fingerprint(parse_label(lab)[0], scenario, method, 0, RESOLVED[(lab, scenario, method)])


def split_cell(cell):
    """'label/scenario/method' -> (label, scenario, method)."""
    return tuple(cell.split("/"))


def train_params(wildcards):
    """What a training job is: its benchmark, its --set overrides and their fingerprint."""
    if "cell" in wildcards.keys():
        cell = split_cell(wildcards.cell)
    else:
        cell = (wildcards.benchmark, wildcards.scenario, wildcards.method)
    return {"benchmark": parse_label(cell[0])[0], "overrides": set_args(cell_overrides(*cell)),
            "fingerprint": cell_fingerprint(*cell)}


def data_inputs(wildcards):
    """The data files a run reads (nothing for the toy regression)."""
    lab = split_cell(wildcards.cell)[0] if "cell" in wildcards.keys() else wildcards.benchmark
    bench, dataset = parse_label(lab)
    return data_paths(bench, {"dataset": dataset} if dataset else {}, config["data_dir"])


def datasets_used():
    """Every dataset whose files some configured run reads (one download rule each)."""
    return sorted({ds for (lab, _, _), cfg in RESOLVED.items() for ds in spec(parse_label(lab)[0]).datasets(cfg)}
                  | {parse_label(lab)[1] for lab in LABELS_RUN if parse_label(lab)[1]})


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
    return set_args({**cell_overrides(wildcards.benchmark, wildcards.scenario, "hnet_ent"), **extra})


def ent_study_results():
    return [f"{RESULTS}/ent_study/{b}/{s}/{v}/seed{seed}/study.json" for b, s, v, seed in ENT_STUDY_RUNS]


def figure_targets():
    out = [f"{RESULTS}/figures/{k}/{b}_{s}.png" for b, s in PANELS for k in FIGURES]
    if "regression" in LABELS_RUN:
        out.append(f"{RESULTS}/figures/regression_fits.png")
    return out


def split_cifar_outputs():
    """Fig. 5 and its table, when split CIFAR is in the grid."""
    if not any(lab.startswith("split_cifar") for lab in LABELS_RUN):
        return []
    return [f"{RESULTS}/figures/split_cifar_fig5.png", f"{RESULTS}/tables/split_cifar_fig5.md"]


def permuted_100_outputs():
    return [f"{RESULTS}/figures/permuted_mnist_100_fig3a.png"] if ("permuted_mnist_100", "cl1") in PANELS else []


def final_outputs():
    tables = [f"{RESULTS}/tables/{b}_{q}.md" for b in LABELS_RUN for q in ("final", "during")]
    return [f"{RESULTS}/tables/runs.csv", f"{RESULTS}/tables/table1_final.md", *tables, *figure_targets(),
            *split_cifar_outputs(), *permuted_100_outputs(), *sweep_outputs(), *embedding_grid_outputs(),
            *ent_study_results(),
            f"{RESULTS}/report.md"]


def expected_seeds():
    return {lab: config["benchmarks"][parse_label(lab)[0]]["seeds"] for lab in LABELS_RUN}


def expected_cells():
    """'label/scenario/method' -> configured number of seeds, for the n column of the tables."""
    cells = {}
    for b, s, m, _ in GRID:
        key = f"{b}/{s}/{m}"
        cells[key] = cells.get(key, 0) + 1
    return cells
