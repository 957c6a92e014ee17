"""Fetch one dataset into the configured data_dir (torchvision's layout), verifying the files."""

import logging
import sys

from hnet.benchmarks import DATASETS

sm = snakemake  # noqa: F821 (injected by the script directive)
sys.stderr = open(sm.log[0], "w")
logging.basicConfig(stream=sys.stderr, level=logging.INFO)
DATASETS[sm.params.dataset].fetch(sm.params.data_dir)
