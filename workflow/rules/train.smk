# Training: one rule trains one run request (hnet.run.grid, requests.smk), whatever asked for it (the
# grid, a sweep point, the HNET+ENT study, Fig. 4). Its params are what the run is: the request of its
# cell (benchmark, scenario, method, overrides) and the fingerprint of the resolved configuration
# without the seed, plus the device and the data folder; with the params rerun trigger a run reruns
# exactly when one of them changes, never for a code change. The job gets the request itself
# (workflow/scripts/train.py), so the configuration is resolved by the same function from the same
# structured overrides, never re-parsed from a command line.
#
# Siblings (every block shared, only the outputs differ): runs whose checkpoint a later rule reads
# declare it; with `pack_seeds: S` > 1 the seeds of packable cells train S at a time in one process
# (one rule per chunk of seeds, the same params, so packing on or off retrains nothing).
# HNET_KEEP_CHECKPOINT=1 in the environment keeps every run's checkpoint.pt.


rule train:
    input:
        request_data,
    output:
        metrics=f"{RESULTS}/{{run}}/metrics.json",
        matrix=f"{RESULTS}/{{run}}/matrix.csv",
    log:
        f"{RESULTS}/logs/train/{{run}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{run}}.tsv"
    wildcard_constraints:
        run=RUNS_PLAIN,
    params:
        **TRAIN_PARAMS,
    threads: config["threads_per_run"]
    resources:
        **train_resources(),
    conda:
        "../../environment.yml"
    script:
        "../scripts/train.py"


use rule train as train_keeping_checkpoint with:
    output:
        metrics=f"{RESULTS}/{{run}}/metrics.json",
        matrix=f"{RESULTS}/{{run}}/matrix.csv",
        checkpoint=f"{RESULTS}/{{run}}/checkpoint.pt",
    wildcard_constraints:
        run=RUNS_KEEPING_CHECKPOINT,


# Packed chunks: `use rule` cannot name a rule from a loop, so these spell out train's blocks from
# the same objects (TRAIN_PARAMS, train_resources, the same script and environment).
for _seeds, _cells in sorted(PACKED_CHUNKS.items()):
    _span = f"{_seeds[0]}-{_seeds[-1]}"

    rule:
        name:
            f"train_packed_seeds_{_seeds[0]}_{_seeds[-1]}"
        input:
            request_data,
        output:
            metrics=[f"{RESULTS}/{{cell}}/seed{seed}/metrics.json" for seed in _seeds],
            matrix=[f"{RESULTS}/{{cell}}/seed{seed}/matrix.csv" for seed in _seeds],
        log:
            f"{RESULTS}/logs/train/{{cell}}/seeds{_span}.log",
        benchmark:
            f"{RESULTS}/benchmarks/train/{{cell}}/seeds{_span}.tsv"
        wildcard_constraints:
            cell=_alternation(_cells),
        params:
            **TRAIN_PARAMS,
        threads: config["threads_per_run"]
        resources:
            **train_resources(len(_seeds)),
        conda:
            "../../environment.yml"
        script:
            "../scripts/train.py"

    workflow.ruleorder(f"train_packed_seeds_{_seeds[0]}_{_seeds[-1]}", "train")
