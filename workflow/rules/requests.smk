# The run requests of this configuration (hnet.run.grid): every training job of the DAG (the grid,
# sweep points, the HNET+ENT study's variants, the Fig. 4 run) as one table, built once, each row with
# its folder under `results` and its resolved configuration. Nothing here lists benchmarks,
# scenarios, methods or figure kinds: the registries do.
import re
import sys

from hnet.analysis.figures import FIGURES
from hnet.benchmarks import BENCHMARKS, DATASETS, SCENARIOS, data_paths, label, parse_label, spec
from hnet.errors import ConfigError
from hnet.registry import method_names
from hnet.run.grid import build_requests, sweep_points

RESULTS = config["results"]
REGISTERED = method_names()

try:
    TABLE = build_requests(config)
except ConfigError as err:
    raise WorkflowError(f"config error: {err}") from None
for _notice in TABLE.notices:
    print(f"NOTICE {_notice}", file=sys.stderr)

REQUESTS = TABLE.by_folder()  # run folder (relative to RESULTS) -> its request
GRID = TABLE.of("grid")
SWEEPS = {s["name"]: s for s in config.get("sweeps", [])}
LABELS_RUN = sorted({r.label for r in GRID} | {lab for lab, _, _, _ in TABLE.external})
PANELS = sorted({(r.label, r.scenario) for r in GRID} | {(lab, sc) for lab, sc, _, _ in TABLE.external})
METHOD_ORDER = list(config["methods"])
# the tables' row groups: this suite's methods, then each external group (`external_methods.<m>.group`)
METHOD_GROUPS = {
    m: "this suite" if m in REGISTERED else config["external_methods"][m].get("group", "external")
    for m in METHOD_ORDER
    if m in REGISTERED or m in config.get("external_methods", {})
}
CELLS = {}  # a cell's folder prefix (the folder without /seed<N>) -> its requests, seed by seed
for _r in TABLE.requests:
    CELLS.setdefault(_r.folder.rsplit("/", 1)[0], []).append(_r)


def packed_chunks(size):
    """The seeds of a chunk -> the cell prefixes whose seeds train together in that chunk: cells
    whose settings a packed run honours (Method.pack_refusal), `size` seeds at a time."""
    chunks = {}
    for prefix, requests in CELLS.items():
        if requests[0].keep_checkpoint or requests[0].pack_refusal():
            continue
        for i in range(0, len(requests), size):
            part = tuple(r.seed for r in requests[i : i + size])
            if len(part) > 1:
                chunks.setdefault(part, []).append(prefix)
    return chunks


PACKED_CHUNKS = packed_chunks(config["pack_seeds"]) if config["pack_seeds"] > 1 else {}


def _alternation(items):
    return "|".join(re.escape(i) for i in sorted(items)) or "(?!)"  # (?!) matches nothing


# The training rules' wildcards, by the shape of the folders (a regex of every folder would make
# matching targets slow on the paper DAG); registered methods only, since external ones have rules of
# their own. Packed chunks name their cells and win over `train` (train.smk).
_METHODS = "|".join(re.escape(m) for m in REGISTERED)
RUNS_PLAIN = rf"(?:runs/[^/]+/[^/]+/(?:{_METHODS})|sweeps/[^/]+/[^/]+)/seed\d+"
RUNS_KEEPING_CHECKPOINT = r"(?:ent_study/[^/]+/[^/]+/[^/]+|embedding_grid/[^/]+/[^/]+)/seed\d+"


def request_of(wildcards):
    """The request a training job trains (a packed job: any seed of its cell; they share the job)."""
    key = wildcards.run if "run" in wildcards.keys() else wildcards.cell
    found = REQUESTS.get(key) if "run" in wildcards.keys() else (CELLS.get(key) or [None])[0]
    if found is None:
        raise WorkflowError(f"{RESULTS}/{key}: not a run of this configuration (hnet.run.grid lists its runs)")
    return found


DATASET_DIRS = config["dataset_dirs"]  # datasets read in place from folders the user named


def request_data(wildcards):
    """The data files a run reads (nothing for the toy regression)."""
    r = request_of(wildcards)
    return data_paths(r.benchmark, r.config, config["data_dir"], DATASET_DIRS)


def datasets_read():
    return {ds for r in TABLE.requests for ds in spec(r.benchmark).datasets(r.config)} | {
        parse_label(lab)[1] for lab in LABELS_RUN if parse_label(lab)[1]}


def datasets_used():
    """Every dataset some configured run reads from data_dir (one download rule each); datasets read
    from a folder the user named are never downloaded there."""
    return sorted(datasets_read() - set(DATASET_DIRS))


def check_named_data_folders():
    """Data in the folders the user named must be there before anything is scheduled."""
    for ds in sorted(datasets_read() & set(DATASET_DIRS)):
        try:
            found = DATASETS[ds].located(config["data_dir"], DATASET_DIRS[ds])
        except ValueError as err:
            raise WorkflowError(f"config error: dataset_dirs.{ds}: {err}") from None
        missing = [Path(k).name for k, p in found.items() if p is None]
        if missing:
            raise WorkflowError(f"config error: dataset_dirs.{ds} = {DATASET_DIRS[ds]} lacks {', '.join(missing)} "
                                "(each uncompressed or .gz); nothing is downloaded into a folder you name")


check_named_data_folders()


def all_labels():
    """Every label a run can have: each benchmark on each of its datasets."""
    datasets = {b: s.settings["dataset"].choices if "dataset" in s.settings else [None] for b, s in BENCHMARKS.items()}
    return sorted({label(b, ds) for b, choices in datasets.items() for ds in choices})


wildcard_constraints:
    label="|".join(all_labels()),
    scenario="|".join(SCENARIOS),
    seed=r"\d+",
    kind="|".join(FIGURES),
    variant="[a-z][a-z0-9_]*",
    sweep="[a-z][a-z0-9_]*",


def label_data(wildcards):
    """The data files of a label (a benchmark on a dataset), for rules that read them directly."""
    bench, dataset = parse_label(wildcards.label)
    return data_paths(bench, {"dataset": dataset} if dataset else {}, config["data_dir"])


def plan_jobs():
    """Every training job class of the DAG (a cell of run requests): what to probe, how many runs,
    where their measured times land."""
    jobs = []
    for prefix, requests in CELLS.items():
        r = requests[0]
        point = {"sweep": lambda: f"{r.purpose[1]}={r.purpose[2]}", "ent_study": lambda: r.purpose[1],
                 "embedding_grid": lambda: "2-D"}.get(r.purpose[0], lambda: "")()
        jobs.append({"rule": "train", "benchmark": r.benchmark, "label": r.label, "scenario": r.scenario,
                     "method": r.method, "point": point, "overrides": r.overrides, "seeds": [q.seed for q in requests],
                     "measured": f"{RESULTS}/benchmarks/train/{prefix}/seed{{seed}}.tsv",
                     "gpu_share": JOB_CLASS.get(r.benchmark, DEFAULT_JOB_CLASS)["gpu_share"]})
    return jobs
