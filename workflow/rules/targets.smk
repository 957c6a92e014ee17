# What the DAG makes: run folders, tables, figures, the report (target lists for `all` and the rules).


def run_metrics(requests):
    return [f"{RESULTS}/{r.folder}/metrics.json" for r in requests]


def external_run_path(lab, scenario, method, seed):
    return f"{RESULTS}/runs/{lab}/{scenario}/{method}/seed{seed}/metrics.json"


def all_runs():
    """The grid's runs (registered and external methods), which the tables aggregate."""
    paths = run_metrics(GRID) + [external_run_path(*cell) for cell in TABLE.external]
    if config["on_missing_runs"] == "skip":
        # Aggregate only finished runs (after failures under keep-going); n in the tables shows the gaps.
        paths = [p for p in paths if Path(p).exists()]
    return paths


def expected_fingerprints():
    """run path -> the fingerprint its metrics.json must record (registered methods only)."""
    return {f"{RESULTS}/{r.folder}/metrics.json": r.fingerprint for r in GRID}


def expected_cells():
    """'label/scenario/method' -> configured number of seeds, for the n column of the tables."""
    cells = {}
    for key in [f"{r.label}/{r.scenario}/{r.method}" for r in GRID] + [f"{b}/{s}/{m}" for b, s, m, _ in TABLE.external]:
        cells[key] = cells.get(key, 0) + 1
    return cells


def expected_seeds():
    return {lab: config["benchmarks"][parse_label(lab)[0]]["seeds"] for lab in LABELS_RUN}


def table_files(stem):
    return [f"{RESULTS}/tables/{stem}.{ext}" for ext in ("csv", "tex")]


def benchmark_tables():
    return [f"{b}_{q}" for b in LABELS_RUN for q in ("final", "during")]


# -- sweeps, the HNET+ENT study and Fig. 4: their runs are requests too ----------------------------
def sweep_names():
    return sorted({r.purpose[1] for r in TABLE.of("sweep")})


def sweep_runs(sweep):
    """run path -> [point, seed] for one sweep."""
    return {f"{RESULTS}/{r.folder}/metrics.json": [r.purpose[2], r.seed]
            for r in TABLE.of("sweep") if r.purpose[1] == sweep}


def sweep_outputs():
    return ([f"{RESULTS}/figures/sweeps/{s}.png" for s in sweep_names()]
            + [f"{RESULTS}/sweeps/{s}/summary.md" for s in sweep_names()])


def ent_study_results():
    return [f"{RESULTS}/{r.folder}/study.json" for r in TABLE.of("ent_study")]


def embedding_grid_request():
    found = TABLE.of("embedding_grid")
    return found[0] if found else None


def embedding_grid_outputs():
    if embedding_grid_request() is None:
        return []
    return [f"{RESULTS}/figures/embedding_grid.png", f"{RESULTS}/embedding_grid/summary.md"]


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
    # every format of every table is a target, so that deleting any of them rebuilds it
    tables = [f"{RESULTS}/tables/{t}.{ext}" for t in ["table1_final", *benchmark_tables()] for ext in ("md", "csv", "tex")]
    return [f"{RESULTS}/tables/runs.csv", *tables, *figure_targets(),
            *split_cifar_outputs(), *permuted_100_outputs(), *sweep_outputs(), *embedding_grid_outputs(),
            *ent_study_results(), f"{RESULTS}/report.md"]
