# Cost-model helpers for plan.smk: the DAG's training job classes, for hnet/tools/plan.py.


def plan_jobs():
    """Every training job class of the DAG: what to probe, how many runs, where their times land."""
    jobs = []

    def add(rule, lab, scenario, method, overrides, seeds, measured, point=""):
        bench = parse_label(lab)[0]
        share = JOB_CLASS.get(bench, DEFAULT_JOB_CLASS)["gpu_share"]
        jobs.append({"rule": rule, "benchmark": bench, "label": lab, "scenario": scenario, "method": method,
                     "point": point, "overrides": overrides, "seeds": seeds, "measured": measured, "gpu_share": share})

    cells = {}
    for lab, sc, m, seed in GRID:
        if m in REGISTERED:
            cells.setdefault((lab, sc, m), []).append(seed)
    for (lab, sc, m), seeds in cells.items():
        add("train", lab, sc, m, cell_overrides(lab, sc, m), seeds,
            f"{RESULTS}/benchmarks/train/{lab}/{sc}/{m}/seed{{seed}}.tsv")
    for name, point, _ in sorted({(s, p, 0) for s, p, _ in SWEEP_RUNS}):
        lab, sc, m = SWEEPS[name]["cell"].split("/")
        seeds = [seed for s, p, seed in SWEEP_RUNS if (s, p) == (name, point)]
        add("train_sweep", lab, sc, m, {**cell_overrides(lab, sc, m), **sweep_points(SWEEPS[name])[point]}, seeds,
            f"{RESULTS}/benchmarks/sweeps/{name}/{point}/seed{{seed}}.tsv", f"{name}={point}")
    for bench, sc, variant in sorted({(b, s, v) for b, s, v, _ in ENT_STUDY_RUNS}):
        seeds = [seed for b, s, v, seed in ENT_STUDY_RUNS if (b, s, v) == (bench, sc, variant)]
        extra = {**ent_study_variants(ENT_STUDY)[variant], "val_fraction": ENT_STUDY["val_fraction"]}
        add("train_ent_study", bench, sc, "hnet_ent", {**cell_overrides(bench, sc, "hnet_ent"), **extra}, seeds,
            f"{RESULTS}/benchmarks/ent_study/{bench}/{sc}/{variant}/seed{{seed}}.tsv", variant)
    if embedding_grid_cell() is not None:
        lab, sc = embedding_grid_cell()
        extra = {**EMBEDDING_GRID["overrides"], "emb_dim": 2}
        add("train_embedding_grid", lab, sc, "hnet", {**cell_overrides(lab, sc, "hnet"), **extra},
            [EMBEDDING_GRID["seed"]], f"{RESULTS}/benchmarks/embedding_grid/{lab}/{sc}/seed{{seed}}.tsv", "2-D")
    return jobs
