# HNET+ENT gap study: the hnet_ent classifier trained with a validation split held out of the
# training data (requests of the train rule, checkpoint kept), then task-selection rules compared
# and one selected on that split only.


rule ent_study:
    localrule: True
    input:
        metrics=f"{RESULTS}/ent_study/{{label}}/{{scenario}}/{{variant}}/seed{{seed}}/metrics.json",
        checkpoint=f"{RESULTS}/ent_study/{{label}}/{{scenario}}/{{variant}}/seed{{seed}}/checkpoint.pt",
        code=workflow.source_path("../../hnet/tools/ent_study.py"),
    output:
        json=f"{RESULTS}/ent_study/{{label}}/{{scenario}}/{{variant}}/seed{{seed}}/study.json",
        table=f"{RESULTS}/ent_study/{{label}}/{{scenario}}/{{variant}}/seed{{seed}}/study.md",
    log:
        f"{RESULTS}/logs/ent_study/{{label}}/{{scenario}}/{{variant}}/seed{{seed}}.log",
    params:
        run_dir=lambda wc, input: str(Path(input.metrics).parent),
        data_dir=config["data_dir"],
    conda:
        "../../environment.yml"
    shell:
        "python -m hnet.tools.ent_study {params.run_dir} --data-dir {params.data_dir} --variant {wildcards.variant} "
        "--out {output.json} > {log} 2>&1"
