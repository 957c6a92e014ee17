rule download_mnist:
    output:
        expand("{data_dir}/MNIST/raw/{file}", data_dir=config["data_dir"], file=MNIST_FILES),
    log:
        f"{RESULTS}/logs/download_mnist.log",
    params:
        data_dir=lambda wc, output: str(Path(output[0]).parents[2]),
    conda:
        "../../environment.yml"
    script:
        "../scripts/download_mnist.py"
