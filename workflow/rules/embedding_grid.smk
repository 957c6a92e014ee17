# The paper's Fig. 4: an HNET with two-dimensional task embeddings (a request of the train rule,
# checkpoint kept), each task's accuracy over a grid of the embedding plane (python -m
# hnet.tools.embedding_grid), one panel per task.


rule embedding_grid:
    input:
        metrics=f"{RESULTS}/embedding_grid/{{label}}/{{scenario}}/seed{{seed}}/metrics.json",
        checkpoint=f"{RESULTS}/embedding_grid/{{label}}/{{scenario}}/seed{{seed}}/checkpoint.pt",
        code=workflow.source_path("../../hnet/tools/embedding_grid.py"),
    output:
        grid=f"{RESULTS}/embedding_grid/{{label}}/{{scenario}}/seed{{seed}}/grid.npz",
        info=f"{RESULTS}/embedding_grid/{{label}}/{{scenario}}/seed{{seed}}/grid.json",
    log:
        f"{RESULTS}/logs/embedding_grid/{{label}}/{{scenario}}/seed{{seed}}.log",
    params:
        data_dir=config["data_dir"],
        grid=config.get("embedding_grid", {}).get("grid"),
        test_images=config.get("embedding_grid", {}).get("test_images"),
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
        grid=lambda wc: f"{RESULTS}/{embedding_grid_request().folder}/grid.npz",
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
