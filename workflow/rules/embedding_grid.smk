# The paper's Fig. 4: an HNET with two-dimensional task embeddings, each task's accuracy over a grid
# of the embedding plane (python -m hnet.tools.embedding_grid), one panel per task.


rule train_embedding_grid:
    input:
        embedding_grid_data,
    output:
        metrics=f"{RESULTS}/embedding_grid/{{benchmark}}/{{scenario}}/seed{{seed}}/metrics.json",
        checkpoint=f"{RESULTS}/embedding_grid/{{benchmark}}/{{scenario}}/seed{{seed}}/checkpoint.pt",
    log:
        f"{RESULTS}/logs/embedding_grid/train/{{benchmark}}/{{scenario}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/embedding_grid/{{benchmark}}/{{scenario}}/seed{{seed}}.tsv"
    params:
        benchmark=lambda wc: parse_label(wc.benchmark)[0],
        overrides=embedding_grid_overrides,
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
        "--scenario {wildcards.scenario} --method hnet --seed {wildcards.seed} "
        "--out $(dirname {output.metrics}) --data-dir {params.data_dir} --device {params.device} "
        "{params.overrides} --keep-checkpoint > {log} 2>&1"


rule embedding_grid:
    input:
        metrics=rules.train_embedding_grid.output.metrics,
        checkpoint=rules.train_embedding_grid.output.checkpoint,
        code=workflow.source_path("../../hnet/tools/embedding_grid.py"),
    output:
        grid=f"{RESULTS}/embedding_grid/{{benchmark}}/{{scenario}}/seed{{seed}}/grid.npz",
        info=f"{RESULTS}/embedding_grid/{{benchmark}}/{{scenario}}/seed{{seed}}/grid.json",
    log:
        f"{RESULTS}/logs/embedding_grid/{{benchmark}}/{{scenario}}/seed{{seed}}.log",
    params:
        data_dir=config["data_dir"],
        grid=lambda wc: EMBEDDING_GRID["grid"],
        test_images=lambda wc: EMBEDDING_GRID["test_images"],
    threads: config["threads_per_run"]
    conda:
        "../../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} python -m hnet.tools.embedding_grid $(dirname {input.metrics}) "
        "--data-dir {params.data_dir} --grid {params.grid} --test-images {params.test_images} "
        "--out {output.grid} > {log} 2>&1"


rule embedding_grid_figure:
    localrule: True
    input:
        grid=embedding_grid_file,
        code=[
            workflow.source_path("../scripts/embedding_grid.py"),
            workflow.source_path("../../hnet/analysis/paper_figures.py"),
        ],
    output:
        png=report(
            f"{RESULTS}/figures/embedding_grid.png",
            caption="../report/embedding_grid.rst",
            category="Figures",
            subcategory="embedding space (Fig. 4)",
        ),
        pdf=f"{RESULTS}/figures/embedding_grid.pdf",
        summary=f"{RESULTS}/embedding_grid/summary.md",
    log:
        f"{RESULTS}/logs/figures/embedding_grid.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/embedding_grid.py"
