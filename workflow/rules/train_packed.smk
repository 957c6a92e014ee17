# Seed packing (config `pack_seeds: S` > 1): the seeds of a cell train S at a time in one process as
# one batched model (python -m hnet run-packed; hnet/run/packed.py), for cells whose method is
# packable and whose target network takes stacked weights; every other cell trains seed by seed
# with rule `train`. Each seed still gets its own run folder and metrics.json, identical in format,
# so aggregation and caching do not change. One rule per chunk of seeds (seeds 1-S, S+1-2S, ...),
# its `cell` wildcard limited to the cells that have that chunk, preferred over `train`.
# The params are those of `train` (a cell fingerprint, no seed; the seeds are in the command), so
# switching packing on or off retrains nothing. A packed job is one unit: a deleted seed retrains its chunk; it writes no
# checkpoints (a killed packed job restarts from the beginning).
import re

from hnet.benchmarks import spec
from hnet.run.packed import pack_unsupported_reason


def packed_chunks(size):
    """(first seed, last seed) -> the cells ('label/scenario/method') whose seeds train in that chunk."""
    seeds = {}
    for lab, sc, m, seed in GRID:
        if m in REGISTERED:
            seeds.setdefault((lab, sc, m), []).append(seed)
    chunks = {}
    for (lab, sc, m), cell_seeds in seeds.items():
        bench = parse_label(lab)[0]
        if pack_unsupported_reason(m, RESOLVED[(lab, sc, m)], spec(bench).input_shape):
            continue
        cell_seeds = sorted(cell_seeds)
        for i in range(0, len(cell_seeds), size):
            part = cell_seeds[i : i + size]
            if len(part) > 1:
                chunks.setdefault(tuple(part), []).append(f"{lab}/{sc}/{m}")
    return chunks


PACKED_CHUNKS = packed_chunks(config["pack_seeds"]) if config["pack_seeds"] > 1 else {}

for _seeds, _cells in sorted(PACKED_CHUNKS.items()):
    _span = f"{_seeds[0]}-{_seeds[-1]}"
    _seed_list = ",".join(map(str, _seeds))

    rule:
        name:
            f"train_packed_seeds_{_seeds[0]}_{_seeds[-1]}"
        input:
            data_inputs,
        output:
            [f"{RESULTS}/runs/{{cell}}/seed{seed}/metrics.json" for seed in _seeds],
        log:
            f"{RESULTS}/logs/train_packed/{{cell}}/seeds{_span}.log",
        benchmark:
            f"{RESULTS}/benchmarks/train_packed/{{cell}}/seeds{_span}.tsv"
        wildcard_constraints:
            cell="|".join(re.escape(c) for c in sorted(_cells)),
        params:
            benchmark=lambda wc: train_params(wc)["benchmark"],
            overrides=lambda wc: train_params(wc)["overrides"],
            fingerprint=lambda wc: train_params(wc)["fingerprint"],
            device=config["device"],
            data_dir=config["data_dir"],
            scenario=lambda wc: split_cell(wc.cell)[1],
            method=lambda wc: split_cell(wc.cell)[2],
        threads: config["threads_per_run"]
        resources:
            gpu=1 if config["gpu"] else 0,
            gpu_share=job_resource("gpu_share", len(_seeds)),
            gpu_mem_mb=job_resource("gpu_mem_mb", len(_seeds)),
            mem_mb=job_resource("mem_mb", len(_seeds)),
            runtime=job_resource("runtime", len(_seeds)),
        conda:
            "../../environment.yml"
        shell:
            "OMP_NUM_THREADS={threads} python -m hnet run-packed --benchmark {params.benchmark} "
            f"--scenario {{params.scenario}} --method {{params.method}} --seeds {_seed_list} "
            f"--out {RESULTS}/runs/{{wildcards.cell}}/seed{{{{seed}}}} --data-dir {{params.data_dir}} "
            "--device {params.device} {params.overrides} > {log} 2>&1"

    workflow.ruleorder(f"train_packed_seeds_{_seeds[0]}_{_seeds[-1]}", "train")
