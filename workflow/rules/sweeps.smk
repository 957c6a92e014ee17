# Sweeps: each (point, seed) an ordinary run, then a tidy table and a line plot per sweep
# (helpers in common_sweeps.smk).


rule train_sweep:
    input:
        sweep_data_inputs,
    output:
        f"{RESULTS}/sweeps/{{sweep}}/{{point}}/seed{{seed}}/metrics.json",
    log:
        f"{RESULTS}/logs/sweeps/{{sweep}}/{{point}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/sweeps/{{sweep}}/{{point}}/seed{{seed}}.tsv"
    params:
        benchmark=lambda wc: sweep_train_params(wc)["benchmark"],
        scenario=lambda wc: sweep_train_params(wc)["scenario"],
        method=lambda wc: sweep_train_params(wc)["method"],
        overrides=lambda wc: sweep_train_params(wc)["overrides"],
        fingerprint=lambda wc: sweep_train_params(wc)["fingerprint"],
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
        "--scenario {params.scenario} --method {params.method} --seed {wildcards.seed} "
        "--out $(dirname {output}) --data-dir {params.data_dir} --device {params.device} "
        "{params.overrides} > {log} 2>&1"


rule sweep:
    localrule: True
    input:
        runs=sweep_inputs,
        code=[workflow.source_path("../scripts/sweep.py"), workflow.source_path("../../hnet/analysis/sweeps.py")],
    output:
        table=f"{RESULTS}/sweeps/{{sweep}}/table.csv",
        summary=f"{RESULTS}/sweeps/{{sweep}}/summary.md",
        png=report(
            f"{RESULTS}/figures/sweeps/{{sweep}}.png",
            caption="../report/sweep.rst",
            category="Figures",
            subcategory="sweeps",
        ),
        pdf=f"{RESULTS}/figures/sweeps/{{sweep}}.pdf",
    log:
        f"{RESULTS}/logs/sweeps/{{sweep}}.log",
    params:
        points=lambda wc: {sweep_run_path(s, p, seed): [p, seed] for s, p, seed in SWEEP_RUNS if s == wc.sweep},
        x=lambda wc: SWEEPS[wc.sweep].get("x", SWEEPS[wc.sweep].get("parameter")),
        log_x=lambda wc: SWEEPS[wc.sweep].get("log_x", False),
        title=lambda wc: SWEEPS[wc.sweep].get("title", wc.sweep),
        claim=lambda wc: SWEEPS[wc.sweep].get("claim", ""),
    conda:
        "../../environment.yml"
    script:
        "../scripts/sweep.py"
