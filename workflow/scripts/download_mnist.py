"""Fetch MNIST once into the configured data_dir (torchvision's layout), verifying the files."""
import logging
import sys

from hnet.benchmarks.mnist import load_mnist

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake object injected by the script directive)
logging.basicConfig(stream=sys.stderr, level=logging.INFO)
load_mnist(snakemake.params.data_dir, download=True)  # noqa: F821
