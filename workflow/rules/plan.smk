# The cost model (hnet/tools/plan.py): `snakemake --cores all --forcerun plan -- plan` probes every
# training job class of this configuration on this machine and predicts the DAG's wall time, beside
# the measured times of jobs that already finished (their benchmark: files). Not part of `all`.


rule plan:
    localrule: True
    output:
        report=f"{RESULTS}/plan/plan.md",
        table=f"{RESULTS}/plan/plan.csv",
    log:
        f"{RESULTS}/logs/plan.log",
    params:
        jobs=plan_jobs(),
        device=config["device"],
        data_dir=config["data_dir"],
        gpus=config["gpus"] if config["gpu"] else 0,
        cores=workflow.cores,  # the machine the DAG runs on, for the makespan
        threads_per_run=config["threads_per_run"],
    threads: config["threads_per_run"]
    conda:
        "../../environment.yml"
    script:
        "../scripts/plan.py"
