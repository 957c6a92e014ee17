# One training job per (label, scenario, method, seed). The params are what the job is (its
# benchmark, scenario, method, --set overrides and the fingerprint of the cell's resolved config, the
# device and the data folder), so with the params rerun trigger a job reruns when one of them
# changes, and never for a code change. They are the same as train_packed.smk's, so that packing
# seeds or not is no change.
# HNET_KEEP_CHECKPOINT=1 in the environment keeps each run's checkpoint.pt.


rule train:
    input:
        data_inputs,
    output:
        f"{RESULTS}/runs/{{benchmark}}/{{scenario}}/{{method}}/seed{{seed}}/metrics.json",
    log:
        f"{RESULTS}/logs/train/{{benchmark}}/{{scenario}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{benchmark}}/{{scenario}}/{{method}}/seed{{seed}}.tsv"
    params:
        benchmark=lambda wc: train_params(wc)["benchmark"],
        overrides=lambda wc: train_params(wc)["overrides"],
        fingerprint=lambda wc: train_params(wc)["fingerprint"],
        device=config["device"],
        data_dir=config["data_dir"],
        scenario=lambda wc: wc.scenario,
        method=lambda wc: wc.method,
    threads: config["threads_per_run"]
    resources:
        gpu=1 if config["gpu"] else 0,
        gpu_share=job_resource("gpu_share"),
        gpu_mem_mb=job_resource("gpu_mem_mb"),
        mem_mb=job_resource("mem_mb"),
        runtime=job_resource("runtime"),
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} python -m hnet run --benchmark {params.benchmark} "
        "--scenario {params.scenario} --method {params.method} --seed {wildcards.seed} "
        "--out $(dirname {output}) --data-dir {params.data_dir} --device {params.device} "
        "{params.overrides} > {log} 2>&1"
