# Sweep helpers (rules in sweeps.smk). Sweeps: one quantity varied over points; each (point, seed) is an ordinary run in its own folder
# (cached, resumable, rerun when its settings change), then a tidy table and a line plot per sweep.
# A sweep is a config entry (`sweeps:` in config/config.yaml), no code.
SWEEPS = {s["name"]: s for s in config.get("sweeps", [])}


def _point_name(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def sweep_points(sweep):
    """point name -> overrides of that point."""
    if "points" in sweep:
        return {p["name"]: p["overrides"] for p in sweep["points"]}
    return {_point_name(v): {sweep["parameter"]: v} for v in sweep["values"]}


def build_sweeps():
    """(sweep, point, seed) of every sweep run, with the resolved config of each (sweep, point)."""
    runs, resolved = [], {}
    for name, sweep in SWEEPS.items():
        if not sweep.get("enabled", True):
            continue
        lab, scenario, method = sweep["cell"].split("/")
        bench = parse_label(lab)[0]
        if bench not in config["benchmarks"] or not config["benchmarks"][bench].get("enabled", True):
            continue  # the benchmark is off in this (layered) configuration
        why = unsupported_reason(bench, scenario, method) if method in REGISTERED else f"unknown method {method!r}"
        if why:
            _fail(f"sweeps.{name}.cell: {why}")
        for point, extra in sweep_points(sweep).items():
            try:
                resolved[(name, point)] = resolve(bench, scenario, method,
                                                  {**cell_overrides(lab, scenario, method), **extra})[0]
            except ConfigError as err:
                _fail(f"sweeps.{name}, point {point!r}: {err}")
            runs += [(name, point, seed) for seed in range(1, sweep["seeds"] + 1)]
    return runs, resolved


SWEEP_RUNS, SWEEP_CONFIGS = build_sweeps()


def sweep_run_path(sweep, point, seed):
    return f"{RESULTS}/sweeps/{sweep}/{point}/seed{seed}/metrics.json"


def sweep_cell(wildcards):
    return SWEEPS[wildcards.sweep]["cell"].split("/")


def sweep_train_params(wildcards):
    lab, scenario, method = sweep_cell(wildcards)
    extra = sweep_points(SWEEPS[wildcards.sweep])[wildcards.point]
    cfg = SWEEP_CONFIGS[(wildcards.sweep, wildcards.point)]
    return {"benchmark": parse_label(lab)[0], "scenario": scenario, "method": method,
            "overrides": set_args({**cell_overrides(lab, scenario, method), **extra}),
            "fingerprint": fingerprint(parse_label(lab)[0], scenario, method, int(wildcards.seed), cfg)}


def sweep_inputs(wildcards):
    return [sweep_run_path(s, p, seed) for s, p, seed in SWEEP_RUNS if s == wildcards.sweep]


def sweep_outputs():
    names = sorted({s for s, _, _ in SWEEP_RUNS})
    return [f"{RESULTS}/figures/sweeps/{s}.png" for s in names] + [f"{RESULTS}/sweeps/{s}/summary.md" for s in names]


def sweep_data_inputs(wildcards):
    lab = sweep_cell(wildcards)[0]
    bench, dataset = parse_label(lab)
    return data_paths(bench, {"dataset": dataset} if dataset else {}, config["data_dir"])


# -- Fig. 4: HNET with two-dimensional task embeddings, accuracy over a grid of the embedding plane --
EMBEDDING_GRID = config.get("embedding_grid", {"enabled": False})


def embedding_grid_cell():
    """(label, scenario) of the Fig. 4 run, or None when disabled or its benchmark is off."""
    if not EMBEDDING_GRID.get("enabled", True):
        return None
    lab, scenario = EMBEDDING_GRID["cell"].split("/")
    bench = parse_label(lab)[0]
    if bench not in config["benchmarks"] or not config["benchmarks"][bench].get("enabled", True):
        return None
    try:
        resolve(bench, scenario, "hnet", {**cell_overrides(lab, scenario, "hnet"), **EMBEDDING_GRID["overrides"]})
    except ConfigError as err:
        _fail(f"embedding_grid.overrides: {err}")
    return lab, scenario


def embedding_grid_overrides(wildcards):
    extra = {**EMBEDDING_GRID["overrides"], "emb_dim": 2}
    return set_args({**cell_overrides(wildcards.benchmark, wildcards.scenario, "hnet"), **extra})


def embedding_grid_data(wildcards):
    bench, dataset = parse_label(wildcards.benchmark)
    return data_paths(bench, {"dataset": dataset} if dataset else {}, config["data_dir"])


def embedding_grid_file(wildcards):
    lab, scenario = embedding_grid_cell()
    return f"{RESULTS}/embedding_grid/{lab}/{scenario}/seed{EMBEDDING_GRID['seed']}/grid.npz"


def embedding_grid_outputs():
    if embedding_grid_cell() is None:
        return []
    return [f"{RESULTS}/figures/embedding_grid.png", f"{RESULTS}/embedding_grid/summary.md"]
