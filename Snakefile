# hnet-repro: reproduce "Continual learning with hypernetworks" (von Oswald et al., ICLR 2020).
# `snakemake --cores all` trains every configured run, then tables, figures and the report.
from pathlib import Path

import yaml

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


# Snakemake's validator prints the whole merged configuration for one mistake; a top-level key the
# schema does not know is said in one line first, with the files the configuration came from.
_SCHEMA = yaml.safe_load(Path(workflow.basedir, "workflow", "schemas", "config.schema.yaml").read_text())
for _key in config:
    if _key not in _SCHEMA["properties"]:
        _files = ", ".join(str(f) for f in workflow.overwrite_configfiles) or "--config"
        raise WorkflowError(f"config error: unknown top-level key {_key!r} (from {_files} over config/config.yaml); "
                            f"valid: {sorted(_SCHEMA['properties'])}")
validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/requests.smk"
include: "workflow/rules/resources.smk"
include: "workflow/rules/targets.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/ent_study.smk"
include: "workflow/rules/sweeps.smk"
include: "workflow/rules/embedding_grid.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/plan.smk"


# Baselines run by their own rules (someone else's code): every rule file in rules/external/.
for _rules in sorted(Path(workflow.basedir, "workflow", "rules", "external").glob("*.smk")):

    include: _rules


rule all:
    input:
        final_outputs(),
        # every run is a target too: a deleted run is retrained even when the tables are up to date
        all_runs(),
    default_target: True
