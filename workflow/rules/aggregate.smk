rule aggregate:
    localrule: True
    input:
        runs=all_runs(),
        code=workflow.source_path("../scripts/aggregate.py"),
    output:
        runs=report(
            f"{RESULTS}/tables/runs.csv",
            caption="../report/runs.rst",
            category="Tables",
        ),
        matrices=f"{RESULTS}/tables/matrices.csv",
        excluded=f"{RESULTS}/tables/excluded_runs.csv",
        predictions=f"{RESULTS}/tables/regression_predictions.csv",
        table1=report(
            f"{RESULTS}/tables/table1_final.md",
            caption="../report/table1.rst",
            category="Tables",
        ),
        table1_formats=table_files("table1_final"),
        tables=[
            report(
                f"{RESULTS}/tables/{t}.md",
                caption="../report/benchmark_table.rst",
                category="Tables",
                subcategory=t.rsplit("_", 1)[0],
            )
            for t in benchmark_tables()
        ],
        table_formats=[f for t in benchmark_tables() for f in table_files(t)],
    log:
        f"{RESULTS}/logs/aggregate.log",
    params:
        method_order=METHOD_ORDER,
        groups=METHOD_GROUPS,
        benchmarks=LABELS_RUN,
        expected=expected_cells(),
        fingerprints=expected_fingerprints(),
        on_missing=config["on_missing_runs"],
        out_dir=lambda wc, output: str(Path(output.runs).parent),
    conda:
        "../../environment.yml"
    script:
        "../scripts/aggregate.py"


rule report:
    localrule: True
    input:
        runs=f"{RESULTS}/tables/runs.csv",
        excluded=f"{RESULTS}/tables/excluded_runs.csv",
        published=config["published"],
        authors=config["authors_code"],
        studies=ent_study_results(),
        split_cifar=[p for p in split_cifar_outputs() if p.endswith(".md")],
        sweeps=[p for p in sweep_outputs() if p.endswith(".md")],
        embedding_grid=[p for p in embedding_grid_outputs() if p.endswith(".md")],
        code=workflow.source_path("../../hnet/analysis/report.py"),
    output:
        report(f"{RESULTS}/report.md", caption="../report/reproduction.rst", category="Report"),
    log:
        f"{RESULTS}/logs/report.log",
    params:
        tolerance=config["tolerance"],
        verdicts=config["verdicts"],
        config_name=config["name"],
        expected=expected_seeds(),
    conda:
        "../../environment.yml"
    script:
        "../scripts/report.py"
