# One download rule per dataset the configured benchmarks read (hnet.benchmarks.DATASETS); local,
# since compute nodes of a cluster usually have no internet.
for _dataset in datasets_used():

    rule:
        name:
            f"download_{_dataset}"
        output:
            [str(p) for p in DATASETS[_dataset].paths(config["data_dir"])],
        log:
            f"{RESULTS}/logs/download_{_dataset}.log",
        params:
            dataset=_dataset,
            # <data_dir>/<folder>/<file>: as many levels up from the first output as the file has parts, +1
            data_dir=lambda wc, output, _ds=_dataset: str(
                Path(output[0]).parents[len(Path(DATASETS[_ds].files[0]).parts)]
            ),
        localrule: True
        conda:
            "../../environment.yml"
        script:
            "../scripts/download.py"
