# Sweeps: each (point, seed) is a run request of the train rule; then a tidy table and a line plot per sweep.


rule sweep:
    localrule: True
    input:
        runs=lambda wc: list(sweep_runs(wc.sweep)),
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
        points=lambda wc: sweep_runs(wc.sweep),
        x=lambda wc: SWEEPS[wc.sweep].get("x", SWEEPS[wc.sweep].get("parameter")),
        log_x=lambda wc: SWEEPS[wc.sweep].get("log_x", False),
        title=lambda wc: SWEEPS[wc.sweep].get("title", wc.sweep),
        claim=lambda wc: SWEEPS[wc.sweep].get("claim", ""),
    conda:
        "../../environment.yml"
    script:
        "../scripts/sweep.py"
