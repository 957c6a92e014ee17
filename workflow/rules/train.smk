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
        out=lambda wc, output: str(Path(output[0]).parent),
        overrides=run_overrides,
        data_dir=config["data_dir"],
        device=config["device"],
        keep=("--keep-checkpoint" if config["keep_checkpoints"] else ""),
    threads: config["threads_per_run"]
    resources:
        gpu=1 if config["gpu"] else 0,
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} python -m hnet run --benchmark {wildcards.benchmark} "
        "--scenario {wildcards.scenario} --method {wildcards.method} --seed {wildcards.seed} "
        "--out {params.out} --data-dir {params.data_dir} --device {params.device} "
        "{params.overrides} {params.keep} > {log} 2>&1"
