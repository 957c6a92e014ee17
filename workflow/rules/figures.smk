rule figure:
    input:
        runs=f"{RESULTS}/tables/runs.csv",
        matrices=f"{RESULTS}/tables/matrices.csv",
        code=[workflow.source_path("../scripts/figures.py"), workflow.source_path("../../hnet/analysis/figures.py")],
    output:
        png=report(
            f"{RESULTS}/figures/{{kind}}/{{benchmark}}_{{scenario}}.png",
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{kind}",
        ),
        pdf=f"{RESULTS}/figures/{{kind}}/{{benchmark}}_{{scenario}}.pdf",
    log:
        f"{RESULTS}/logs/figures/{{kind}}/{{benchmark}}_{{scenario}}.log",
    params:
        method_order=METHOD_ORDER,
        caption=lambda wc: FIGURES[wc.kind].caption,
    conda:
        "../../environment.yml"
    script:
        "../scripts/figures.py"


rule regression_fits:
    input:
        predictions=f"{RESULTS}/tables/regression_predictions.csv",
        code=[workflow.source_path("../scripts/figures.py"), workflow.source_path("../../hnet/analysis/figures.py")],
    output:
        png=report(
            f"{RESULTS}/figures/regression_fits.png",
            caption="../report/regression_fits.rst",
            category="Figures",
            subcategory="regression_fits",
        ),
        pdf=f"{RESULTS}/figures/regression_fits.pdf",
    log:
        f"{RESULTS}/logs/figures/regression_fits.log",
    params:
        method_order=METHOD_ORDER,
    conda:
        "../../environment.yml"
    script:
        "../scripts/figures.py"
