# Avalanche's strategies (avalanche-lib) on this suite's task streams: one rule for every external
# method whose entry says `framework: avalanche` (config/config.yaml, `external_methods`). The
# adapter (workflow/scripts/avalanche_baseline.py) builds the suite's tasks and scenarios, trains
# the named class of `avalanche.training` with the entry's arguments and writes metrics.json with
# the full accuracy matrix and provenance. Adding a strategy is one config entry. Avalanche is not
# a core dependency: `pip install -e ".[avalanche]"`, or `--sdm conda` for the environment below.
import importlib.util
import json

from hnet.run.grid import cell_overrides, external_args

from snakemake.settings.types import DeploymentMethod

AVALANCHE = {m: e for m, e in config.get("external_methods", {}).items() if e.get("framework") == "avalanche"}
AVALANCHE_CELLS = [cell for cell in TABLE.external if cell[2] in AVALANCHE]
if (
    AVALANCHE_CELLS
    and importlib.util.find_spec("avalanche") is None
    and DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method
):
    raise WorkflowError(
        f"{len(AVALANCHE_CELLS)} run(s) of {sorted({c[2] for c in AVALANCHE_CELLS})} need avalanche-lib, which is "
        "not installed: pip install -e '.[avalanche]' (or run with --sdm conda: workflow/envs/avalanche.yaml)"
    )


if AVALANCHE:

    rule external_avalanche:
        input:
            label_data,
            code=workflow.source_path("../../scripts/avalanche_baseline.py"),
        output:
            f"{RESULTS}/runs/{{label}}/{{scenario}}/{{method}}/seed{{seed}}/metrics.json",
        log:
            f"{RESULTS}/logs/train/runs/{{label}}/{{scenario}}/{{method}}/seed{{seed}}.log",
        benchmark:
            f"{RESULTS}/benchmarks/train/runs/{{label}}/{{scenario}}/{{method}}/seed{{seed}}.tsv"
        wildcard_constraints:
            method=_alternation(AVALANCHE),
        params:
            strategy=lambda w: AVALANCHE[w.method]["strategy"],
            args=lambda w: json.dumps(external_args(AVALANCHE[w.method], parse_label(w.label)[0], w.scenario)),
            # this workflow's settings for the cell as the suite's fine-tuning run reads them: only the strategy differs
            overrides=lambda w: json.dumps(cell_overrides(config, w.label, w.scenario, "finetune")),
            fixes=lambda w: "".join(f" --fix {f}" for f in AVALANCHE[w.method].get("fixes", [])),
            benchmark=lambda w: parse_label(w.label)[0],
            data_dir=config["data_dir"],
            device=config["device"],
        threads: config["threads_per_run"]
        conda:
            "../../envs/avalanche.yaml"
        shell:
            "OMP_NUM_THREADS={threads} python {input.code} --benchmark {params.benchmark} --label {wildcards.label} "
            "--scenario {wildcards.scenario} --method {wildcards.method} --strategy {params.strategy} "
            "--args {params.args:q} --overrides {params.overrides:q}{params.fixes} --seed {wildcards.seed} "
            "--data-dir {params.data_dir} --device {params.device} --out {output} > {log} 2>&1"
