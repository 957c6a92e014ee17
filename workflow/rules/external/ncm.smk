# Worked example of a baseline that is someone else's code: a rule that runs any program and
# writes metrics.json in the documented format (hnet/analysis/metrics.schema.json). The config
# entry `external_methods.ncm` says which cells it covers; its name in `methods` puts it in the
# tables. Copy this file for your own: change the name, the input data and the shell command;
# `python -m hnet stamp` adds the provenance (code, data checksums) the aggregation requires.


rule external_ncm:
    input:
        label_data,
        code=workflow.source_path("../../scripts/ncm_baseline.py"),
    output:
        f"{RESULTS}/runs/{{label}}/{{scenario}}/ncm/seed{{seed}}/metrics.json",
    log:
        f"{RESULTS}/logs/train/runs/{{label}}/{{scenario}}/ncm/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/runs/{{label}}/{{scenario}}/ncm/seed{{seed}}.tsv"
    params:
        data_dir=config["data_dir"],
    wildcard_constraints:
        label="split_mnist",
    conda:
        "../../../environment.yml"
    shell:
        "(python {input.code} --data-dir {params.data_dir} --scenario {wildcards.scenario} "
        "--seed {wildcards.seed} --out {output} && python -m hnet stamp {output} --data-dir {params.data_dir}) "
        "> {log} 2>&1"
