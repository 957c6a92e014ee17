# HNET+ENT gap study: the hnet_ent classifier trained with a validation split held out of
# the training data, then task-selection rules compared and one selected on that split only.


rule train_ent_study:
    input:
        data_inputs,
    output:
        metrics=f"{RESULTS}/ent_study/{{benchmark}}/{{scenario}}/{{variant}}/seed{{seed}}/metrics.json",
        checkpoint=f"{RESULTS}/ent_study/{{benchmark}}/{{scenario}}/{{variant}}/seed{{seed}}/checkpoint.pt",
    log:
        f"{RESULTS}/logs/ent_study/train/{{benchmark}}/{{scenario}}/{{variant}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/ent_study/{{benchmark}}/{{scenario}}/{{variant}}/seed{{seed}}.tsv"
    params:
        benchmark=lambda wc: parse_label(wc.benchmark)[0],
        overrides=ent_study_overrides,
        device=config["device"],
        data_dir=config["data_dir"],
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
        "--scenario {wildcards.scenario} --method hnet_ent --seed {wildcards.seed} "
        "--out $(dirname {output.metrics}) --data-dir {params.data_dir} --device {params.device} "
        "{params.overrides} --keep-checkpoint > {log} 2>&1"


rule ent_study:
    localrule: True
    input:
        metrics=rules.train_ent_study.output.metrics,
        checkpoint=rules.train_ent_study.output.checkpoint,
        code=workflow.source_path("../../hnet/tools/ent_study.py"),
    output:
        json=f"{RESULTS}/ent_study/{{benchmark}}/{{scenario}}/{{variant}}/seed{{seed}}/study.json",
        table=f"{RESULTS}/ent_study/{{benchmark}}/{{scenario}}/{{variant}}/seed{{seed}}/study.md",
    log:
        f"{RESULTS}/logs/ent_study/{{benchmark}}/{{scenario}}/{{variant}}/seed{{seed}}.log",
    params:
        run_dir=lambda wc, input: str(Path(input.metrics).parent),
        data_dir=config["data_dir"],
    conda:
        "../../environment.yml"
    shell:
        "python -m hnet.tools.ent_study {params.run_dir} --data-dir {params.data_dir} --variant {wildcards.variant} "
        "--out {output.json} > {log} 2>&1"
