rule figure:
    localrule: True
    input:
        runs=f"{RESULTS}/tables/runs.csv",
        matrices=f"{RESULTS}/tables/matrices.csv",
        code=[workflow.source_path("../scripts/figures.py"), workflow.source_path("../../hnet/analysis/figures.py")],
    output:
        png=report(
            f"{RESULTS}/figures/{{kind}}/{{label}}_{{scenario}}.png",
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{kind}",
        ),
        pdf=f"{RESULTS}/figures/{{kind}}/{{label}}_{{scenario}}.pdf",
    log:
        f"{RESULTS}/logs/figures/{{kind}}/{{label}}_{{scenario}}.log",
    params:
        method_order=METHOD_ORDER,
        caption=lambda wc: FIGURES[wc.kind].caption,
    conda:
        "../../environment.yml"
    script:
        "../scripts/figures.py"


rule regression_fits:
    localrule: True
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


rule split_cifar_figure:
    localrule: True
    input:
        runs=f"{RESULTS}/tables/runs.csv",
        code=[
            workflow.source_path("../scripts/paper_figures.py"),
            workflow.source_path("../../hnet/analysis/paper_figures.py"),
        ],
    output:
        png=report(
            f"{RESULTS}/figures/split_cifar_fig5.png",
            caption="../report/split_cifar.rst",
            category="Figures",
            subcategory="split CIFAR (Fig. 5)",
        ),
        pdf=f"{RESULTS}/figures/split_cifar_fig5.pdf",
        table=f"{RESULTS}/tables/split_cifar_fig5.csv",
        markdown=f"{RESULTS}/tables/split_cifar_fig5.md",
    log:
        f"{RESULTS}/logs/figures/split_cifar_fig5.log",
    params:
        method_order=METHOD_ORDER,
    conda:
        "../../environment.yml"
    script:
        "../scripts/paper_figures.py"


rule permuted_100_figure:
    localrule: True
    input:
        runs=f"{RESULTS}/tables/runs.csv",
        code=[
            workflow.source_path("../scripts/permuted_100_figure.py"),
            workflow.source_path("../../hnet/analysis/paper_figures.py"),
        ],
    output:
        png=report(
            f"{RESULTS}/figures/permuted_mnist_100_fig3a.png",
            caption="../report/permuted_100.rst",
            category="Figures",
            subcategory="PermutedMNIST-100 (Fig. 3a)",
        ),
        pdf=f"{RESULTS}/figures/permuted_mnist_100_fig3a.pdf",
    log:
        f"{RESULTS}/logs/figures/permuted_mnist_100_fig3a.log",
    conda:
        "../../environment.yml"
    script:
        "../scripts/permuted_100_figure.py"
