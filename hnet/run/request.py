"""A run request: the one description of a training job.

What a run *is* (benchmark, label, scenario, method, seed, the overrides asked for, the
configuration they resolve to and its fingerprint) and where it lands (its folder). The command
line builds one from ``--set``/``--config``; the workflow builds one per run from its config
(``hnet.run.grid``) and hands the job the same request, so the configuration is resolved by one
function from structured overrides, never re-parsed from strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from hnet.benchmarks import label as make_label
from hnet.benchmarks import spec
from hnet.errors import ConfigError
from hnet.registry import method_class
from hnet.run.config import fingerprint, resolve

MAX_SEED = 2**32 - 1  # numpy's seed range
CELL_SEED = 0  # the seed a cell fingerprint stands on: the configuration without any seed


@dataclass(frozen=True)
class RunRequest:
    benchmark: str
    scenario: str
    method: str
    seed: int
    overrides: dict = field(default_factory=dict)
    folder: str = ""  # the run folder (relative to the workflow's results, or any path on the command line)
    keep_checkpoint: bool = False  # keep checkpoint.pt after training (the ENT study and Fig. 4 read it)
    # What asked for it: ("grid",), ("sweep", name, point), ("ent_study", variant), ("embedding_grid",),
    # ("command line",).
    purpose: tuple = ("grid",)

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ConfigError(f"--seed {self.seed!r}: expected an integer in 0..{MAX_SEED}")

    @cached_property
    def resolved(self) -> tuple[dict, dict]:
        """(config, sources): resolved once, from the overrides, by ``hnet.run.config.resolve``."""
        return resolve(self.benchmark, self.scenario, self.method, self.overrides)

    @property
    def config(self) -> dict:
        return self.resolved[0]

    @property
    def sources(self) -> dict:
        return self.resolved[1]

    @property
    def label(self) -> str:
        """benchmark, and the dataset when it is not the benchmark's default."""
        return make_label(self.benchmark, self.config.get("dataset"))

    @property
    def fingerprint(self) -> str:
        """What this run is, seed included: recorded in metrics.json, checked by the aggregation."""
        return fingerprint(self.benchmark, self.scenario, self.method, self.seed, self.config)

    @property
    def cell_fingerprint(self) -> str:
        """What this run is without its seed: the same for every seed of a cell, so that training a
        seed alone or packed with others is the same job to the workflow."""
        return fingerprint(self.benchmark, self.scenario, self.method, CELL_SEED, self.config)

    @property
    def cell(self) -> tuple:
        """The requests that differ only in their seed (and folder) share this key."""
        return (self.benchmark, self.scenario, self.method, self.cell_fingerprint, self.keep_checkpoint, self.purpose)

    @property
    def name(self) -> str:
        return f"{self.label}/{self.scenario}/{self.method}/seed{self.seed}"

    def pack_refusal(self) -> str | None:
        """Why this request's seeds cannot train packed (``Method.pack_refusal``), or None when they can."""
        return method_class(self.method).pack_refusal(self.config, spec(self.benchmark).input_shape)

    def job(self) -> dict:
        """What the workflow hands a training job for this request's cell (no seed, no folder: those
        are the job's outputs), as plain data."""
        return {
            "benchmark": self.benchmark,
            "scenario": self.scenario,
            "method": self.method,
            "overrides": self.overrides,
            "keep_checkpoint": self.keep_checkpoint,
            "purpose": self.purpose,
            "cell_fingerprint": self.cell_fingerprint,
        }

    @classmethod
    def from_job(cls, job: dict, seed: int, folder: str) -> RunRequest:
        return cls(
            job["benchmark"],
            job["scenario"],
            job["method"],
            seed,
            dict(job["overrides"]),
            folder,
            job["keep_checkpoint"],
            tuple(job["purpose"]),
        )
