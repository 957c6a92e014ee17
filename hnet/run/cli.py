"""``python -m hnet run|list``: argument parsing and exit codes around ``hnet.run.execute``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from pathlib import Path

import torch

from hnet.benchmarks import BENCHMARKS, SCENARIOS
from hnet.core import REQUIRED, DivergenceError
from hnet.core.compiling import COMPILE_MODES
from hnet.errors import UserError
from hnet.registry import method_class, method_names, supported
from hnet.run.config import read_overrides
from hnet.run.execute import Place, execute, execute_packed
from hnet.run.request import RunRequest

log = logging.getLogger("hnet")


def grid() -> dict:
    """Benchmarks, scenarios and methods with what each supports and reads (for the workflow and users)."""
    return {
        "scenarios": list(SCENARIOS),
        "benchmarks": {
            b: {
                "scenarios": list(s.scenarios),
                "input_shape": list(s.input_shape),
                "default_dataset": s.default_dataset,
                "settings": {k: v.default for k, v in s.settings.items()},
                "description": s.description,
            }
            for b, s in sorted(BENCHMARKS.items())
        },
        "methods": {
            m: {
                "scenarios": sorted(method_class(m).supports),
                "needs_flat_input": method_class(m).needs_flat_input,
                "module": method_class(m).__module__,
                "cells": [f"{b}/{s}" for b in sorted(BENCHMARKS) for s in SCENARIOS if supported(b, s, m)],
                "settings": {
                    k: ("(preset)" if v.default is REQUIRED else v.default)
                    for k, v in method_class(m).all_settings().items()
                },
            }
            for m in method_names()
        },
    }


def settings_rows() -> list[dict]:
    """Every declared setting: where it is declared, its key, type and constraint, default, and what it does."""
    from hnet.nets import TARGET_NET_SETTINGS
    from hnet.run.config import RUN_SETTINGS

    groups = [
        ("run", RUN_SETTINGS),
        *((f"benchmark {b}", s.settings) for b, s in sorted(BENCHMARKS.items())),
        *((f"target_net {n}", s) for n, s in TARGET_NET_SETTINGS.items()),
        *((f"method {m}", method_class(m).all_settings()) for m in method_names()),
    ]
    return [
        {
            "scope": scope,
            "key": key,
            "type": s.describe(),
            "default": "(preset)" if s.default is REQUIRED else s.default,
            "doc": s.doc,
        }
        for scope, settings in groups
        for key, s in settings.items()
    ]


def print_settings() -> None:
    rows = settings_rows()
    width = {k: max(len(str(r[k])) for r in rows) for k in ("scope", "key", "type")}
    for r in rows:
        print(
            f"{r['scope']:<{width['scope']}}  {r['key']:<{width['key']}}  {r['type']:<{width['type']}}  "
            f"default {json.dumps(r['default']) if r['default'] != '(preset)' else r['default']}: {r['doc']}"
        )


def request_from_args(args: argparse.Namespace) -> RunRequest:
    return RunRequest(
        args.benchmark,
        args.scenario,
        args.method,
        args.seed,
        read_overrides(args.config, args.set),
        args.out,
        args.keep_checkpoint,
        ("command line",),
    )


def dataset_dirs(pairs: list[str]) -> dict[str, str]:
    """``--dataset-dir NAME=PATH`` pairs: MNIST-format datasets read in place from a folder."""
    from hnet.benchmarks import DATASETS, MNIST_FORMAT

    out = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or name not in MNIST_FORMAT:
            raise UserError(
                f"--dataset-dir {pair!r}: expected NAME=PATH with NAME one of {list(MNIST_FORMAT)}"
                + ("" if name not in DATASETS or not sep else f" ({name} is read from --data-dir)")
            )
        if not Path(path).is_dir():
            raise UserError(f"--dataset-dir {pair}: {path} is not a folder")
        out[name] = path
    return out


def place_from_args(args: argparse.Namespace) -> Place:
    return Place(args.data_dir, not args.no_download, args.device, dataset_dirs(args.dataset_dir), args.compile)


def packed_requests(args: argparse.Namespace) -> list[RunRequest]:
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        raise UserError(f"--seeds {args.seeds!r}: expected comma-separated integers") from None
    if "{seed}" not in args.out or len(set(seeds)) != len(seeds) or not seeds:
        raise UserError("--out must contain {seed} and --seeds must list distinct seeds")
    overrides = read_overrides(args.config, args.set)
    return [
        RunRequest(
            args.benchmark,
            args.scenario,
            args.method,
            seed,
            overrides,
            args.out.format(seed=seed),
            purpose=("command line",),
        )
        for seed in seeds
    ]


SEED_FOLDER = re.compile(r"seed(\d+)$")


def workflow_job(job: dict, metrics_files: list[str], place: Place) -> int:
    """A training job of the workflow (``workflow/scripts/train.py``): the request of one cell
    (``RunRequest.job``) and the ``metrics.json`` files it must write, one per seed (several: the
    seeds train packed). Exit code as ``main``."""

    def requests() -> list[RunRequest]:
        out = []
        for path in metrics_files:
            folder = Path(path).parent
            found = SEED_FOLDER.search(folder.name)
            if not found:
                raise UserError(f"{path}: a run folder must be named seed<N>")
            request = RunRequest.from_job(job, int(found.group(1)), str(folder))
            if request.cell_fingerprint != job["cell_fingerprint"]:  # what the DAG was built for, checked
                raise UserError(
                    f"{request.name}: its configuration resolves differently now than when the DAG was "
                    "built (a preset or code default changed meanwhile); run snakemake again"
                )
            out.append(request)
        return out

    # replace=True: the workflow decided that these outputs are stale (their params changed)
    return guarded(
        lambda: (
            execute(*requests(), place, replace=True)
            if len(metrics_files) == 1
            else execute_packed(requests(), place, replace=True)
        )
    )


def stamp(metrics_file: Path, data_dir: str) -> None:
    """Provenance for a run written by other code: the code that ran it, the data files of its
    benchmark (their SHA-256) and the runtime, in the same fields as this package's runs."""
    from hnet.run import provenance
    from hnet.run.io import atomic_write_json

    try:
        m = json.loads(metrics_file.read_text())
    except (OSError, ValueError) as err:
        raise UserError(f"{metrics_file}: not a readable metrics.json ({err})") from None
    if m.get("benchmark") not in BENCHMARKS:
        raise UserError(f"{metrics_file}: 'benchmark' must be one of {sorted(BENCHMARKS)}, got {m.get('benchmark')!r}")
    data = provenance.data_provenance(m["benchmark"], m.get("config") or {}, data_dir)
    m["dataset"] = data["dataset"]
    runtime = provenance.runtime(torch.device("cpu"))
    m["provenance"] = {"code": provenance.code_provenance(), "data": data, "runtime": runtime}
    atomic_write_json(metrics_file, m)


def guarded(train) -> int:
    """Run ``train()``; a foreseeable mistake or environment problem is one line and exit code 2,
    a diverged run exit code 3."""
    try:
        train()
    except UserError as err:
        print(f"ERROR {err}", file=sys.stderr)
        return 2
    except DivergenceError as err:
        print(f"ERROR diverged: {err}", file=sys.stderr)
        return 3
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hnet", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--benchmark", required=True)
    common.add_argument("--scenario", required=True)
    common.add_argument("--method", required=True)
    common.add_argument("--config", help="YAML file of config overrides (key: value)")
    common.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one config value")
    common.add_argument("--data-dir", default="data", help="torchvision root holding MNIST/raw (default: data)")
    common.add_argument("--no-download", action="store_true", help="never download datasets")
    common.add_argument(
        "--dataset-dir",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="read an MNIST-format dataset in place from a flat folder of IDX files, gzipped or "
        "not (e.g. a distribution's package); never written to",
    )
    common.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    common.add_argument(
        "--compile", default="none", choices=COMPILE_MODES, help="speed, not results: hnet.core.compiling"
    )
    r = sub.add_parser(
        "run", parents=[common], help="train one benchmark x scenario x method x seed and write its results"
    )
    r.add_argument("--seed", type=int, required=True)
    r.add_argument("--out", required=True, help="run folder: metrics.json, matrix.csv, checkpoint.pt")
    r.add_argument(
        "--force",
        action="store_true",
        help="replace a finished run of another configuration in --out (refused without it)",
    )
    r.add_argument(
        "--keep-checkpoint",
        action="store_true",
        default=os.environ.get("HNET_KEEP_CHECKPOINT") == "1",
        help="keep checkpoint.pt after finishing (default: HNET_KEEP_CHECKPOINT=1 in the environment)",
    )
    pk = sub.add_parser(
        "run-packed",
        parents=[common],
        add_help=True,
        help="train several seeds of one cell as one batched model (methods with packable=True)",
    )
    pk.add_argument("--seeds", required=True, help="comma-separated seeds, e.g. 1,2,3")
    pk.add_argument("--out", required=True, help="run folder template with {seed}, e.g. runs/x/seed{seed}")
    pk.add_argument("--force", action="store_true", help="replace finished runs of another configuration")
    st = sub.add_parser(
        "stamp",
        help="add provenance (code, data checksums, runtime) to a metrics.json written by "
        "other code (a baseline run by its own workflow rule)",
    )
    st.add_argument("metrics", help="the metrics.json to stamp, in the documented format")
    st.add_argument("--data-dir", default="data", help="where the run read its data (torchvision's layout)")
    ls = sub.add_parser("list", help="print benchmarks, scenarios and methods as JSON")
    ls.add_argument(
        "--settings",
        action="store_true",
        help="print every declared setting instead: scope, key, type and constraint, default, meaning",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    args = build_parser().parse_args(argv)
    if args.command == "list":
        if args.settings:
            print_settings()
        else:
            print(json.dumps(grid(), indent=2))
        return 0
    if args.command == "stamp":
        return guarded(lambda: stamp(Path(args.metrics), args.data_dir))

    def train_packed() -> None:
        results = execute_packed(packed_requests(args), place_from_args(args), args.force)
        log.info("%d packed seeds: final means %s", len(results), [round(r["final_mean"], 4) for r in results])

    def train() -> None:
        result = execute(request_from_args(args), place_from_args(args), args.force)
        log.info("%s final mean %s: %.4g", args.out, result["metric"], result["final_mean"])

    return guarded(train_packed if args.command == "run-packed" else train)
