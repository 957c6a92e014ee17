"""``python -m hnet.tools.ent_study RUN_DIR --out study.json``: the HNET+ENT gap, studied on a validation split.

HNET+ENT picks, for each input, the task whose generated network is least uncertain. The paper's
rule compares raw softmax entropies across the task networks, which only works if the networks are
calibrated *relative to each other*. This study scores alternative selection rules that differ
only in that comparison (the class within the chosen task is always that network's argmax):

- ``entropy`` — the paper's rule;
- ``entropy in the authors' float32 arithmetic`` — the same rule as the authors' code evaluates it:
  an over-confident network's entropy is NaN there, and NaN wins ``torch.argmin``;
- ``global temperature T`` — every head's logits divided by T before the entropy (the authors'
  ``soft_temp`` option; for two-class heads it cannot change the winner, since each head's
  entropy is a monotone function of its logit margin, and the study shows that);
- ``last task at temperature T`` — only the newest task's logits rescaled (the newest network has
  had no time to be "pulled" by later tasks, and in the authors' code it is almost never chosen);
- ``entropy / own-task mean`` — each network's entropy divided by the mean entropy it has on the
  validation inputs of its *own* task (its typical in-distribution confidence);
- ``own-task temperature`` — each network's logits divided by the temperature that minimises its
  NLL on its own task's validation inputs (temperature scaling, Guo et al. 2017). When a network
  classifies its own validation inputs almost perfectly, that NLL keeps falling as T -> 0 and the
  fit runs to the grid's lower end: in-distribution calibration says nothing about how confident
  the network is on *other* tasks' inputs, which is what the comparison needs.

The last two use only each task's own validation data, so they could be computed at the end of
that task in a continual setting. The rule with the best validation accuracy is selected (ties go
to the earlier, simpler rule); test accuracies are reported for every rule but never used to
choose. The workflow repeats the study for training settings (``ent_study.variants``, e.g. fewer
iterations per task) and the report selects the (setting, rule) pair on validation. Input: an
``hnet_ent`` run trained with ``--set val_fraction=F`` and ``--keep-checkpoint``;
its validation split was held out of the training data, the test set was never seen.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from hnet.benchmarks import Benchmark, build_benchmark
from hnet.errors import UserError
from hnet.methods.ent import entropy, head_logits
from hnet.run.io import atomic_write_text
from hnet.run.restore import data_folders, restore_run

GLOBAL_TEMPERATURES = (0.5, 2.0)
LAST_TASK_TEMPERATURES = (0.5, 0.75, 1.5, 2.0, 3.0)
TEMPERATURE_GRID = torch.logspace(-1.5, 1.5, 241)  # 0.03 .. 31.6, for the NLL fit
PAPER_RULE = "entropy (paper)"
AUTHORS_ARITHMETIC = "entropy in the authors' float32 arithmetic"


def authors_entropy(logits: Tensor) -> Tensor:
    """The paper's rule as the authors' code computes it (hypercl ``mnist/train_splitMNIST.py``
    ``test``: ``-sum(softmax * log(softmax))`` in float32, then ``torch.argmin`` over the tasks).
    Where a network's logit margin exceeds about 104 the other class's probability underflows to 0,
    0 * log 0 is NaN, and ``argmin`` returns the first NaN: the earliest over-confident task wins,
    whatever the others' entropies. ``entropy`` (float64) compares the margins themselves."""
    p = torch.softmax(logits.float(), -1)
    return -(p * p.log()).sum(-1)


@dataclass
class Heads:
    """Every task network's head logits on one evaluation set."""

    logits: Tensor  # (K, N, c)
    task: Tensor  # (N,) the true task of each input
    label: Tensor  # (N,) the task-local class


@torch.no_grad()
def collect_heads(method, bench: Benchmark, batch_size: int = 2000) -> Heads:
    weights = method.ph.all_weights(bench.n_tasks)
    logits, tasks, labels = [], [], []
    for task in bench.tasks:
        for x, y in task.test_batches(batch_size):
            out = method.target(x, weights)  # (K, B, n_out): all task networks at once
            logits.append(head_logits(out, method.scenario.per_task, method.shared_head))
            tasks.append(torch.full((len(x),), task.index))
            labels.append(y)
    return Heads(torch.cat(logits, 1), torch.cat(tasks), torch.cat(labels))


def fit_temperature(logits: Tensor, labels: Tensor) -> float:
    """The temperature (on a log grid) that minimises the NLL of ``logits / T``."""
    nll = torch.stack([torch.nn.functional.cross_entropy(logits / t, labels) for t in TEMPERATURE_GRID])
    return float(TEMPERATURE_GRID[int(nll.argmin())])


def own_task_calibration(heads: Heads) -> dict[str, list[float]]:
    """Per task network: statistics on its own task's inputs (what the own-task rules use), and, as a
    diagnostic only, how often it is as confident on other tasks' inputs as on a typical own input."""
    mean_entropy, temperature, confident_on_others = [], [], []
    for t in range(heads.logits.shape[0]):
        own = heads.task == t
        h = entropy(heads.logits[t])
        mean_entropy.append(float(h[own].mean()))
        temperature.append(fit_temperature(heads.logits[t, own], heads.label[own]))
        confident_on_others.append(100 * float((h[~own] <= h[own].median()).float().mean()) if (~own).any() else 0.0)
    return {"mean_entropy": mean_entropy, "temperature": temperature, "confident_on_others": confident_on_others}


def selection_rules(n_tasks: int, calib: dict) -> dict[str, tuple[str, Callable[[Tensor], Tensor]]]:
    """name -> (kind, scores): ``scores((K, N, c) logits)`` is ``(K, N)``, the lowest score wins."""
    rules: dict[str, tuple[str, Callable[[Tensor], Tensor]]] = {PAPER_RULE: ("paper", entropy)}
    for temp in GLOBAL_TEMPERATURES:
        rules[f"global temperature {temp:g}"] = ("global temperature", lambda z, s=temp: entropy(z / s))
    for temp in LAST_TASK_TEMPERATURES:
        scale = torch.ones(n_tasks)
        scale[-1] = temp
        rules[f"last task at temperature {temp:g}"] = (
            "last-task temperature",
            lambda z, s=scale: entropy(z / s[:, None, None]),
        )
    rules[AUTHORS_ARITHMETIC] = ("paper", authors_entropy)
    mean_h = torch.tensor(calib["mean_entropy"]).clamp_min(1e-12)
    rules["entropy / own-task mean"] = ("own-task calibration", lambda z: entropy(z) / mean_h[:, None])
    temps = torch.tensor(calib["temperature"])
    rules["own-task temperature"] = ("own-task calibration", lambda z: entropy(z / temps[:, None, None]))
    return rules


def score_rule(scores: Tensor, heads: Heads, shared_head: bool) -> dict:
    """Accuracy of one selection rule; CL3 needs task and class right, CL2 the class only."""
    k, n = scores.shape
    chosen = scores.argmin(0)
    local = heads.logits[chosen, torch.arange(n)].argmax(-1)
    right_task = chosen == heads.task
    ok = (local == heads.label) if shared_head else (right_task & (local == heads.label))
    per_task = [100 * float(ok[heads.task == t].float().mean()) for t in range(k)]
    share = [100 * float((chosen == t).float().mean()) for t in range(k)]
    return {
        "accuracy": 100 * float(ok.float().mean()),
        "task_inference": 100 * float(right_task.float().mean()),
        "per_task": per_task,
        "chosen_share": share,
    }


def oracle_accuracy(heads: Heads) -> float:
    """Accuracy with the true task's network (the ceiling any selection rule can reach)."""
    own = heads.logits[heads.task, torch.arange(len(heads.task))].argmax(-1)
    return 100 * float((own == heads.label).float().mean())


def load_ent_run(run_dir: Path, data_dir: str):
    """(metrics.json, the run's benchmark as it was trained, its ``hnet_ent`` method restored from
    checkpoint.pt): ``hnet.run.restore.restore_run``, with its one-line errors as the tool's exit."""
    try:
        return restore_run(run_dir, data_dir, "hnet_ent")
    except UserError as err:
        raise SystemExit(str(err)) from None


def load_run(run_dir: Path, data_dir: str):
    """An ``hnet_ent`` run with a validation split: (metrics, validation, test benchmarks, method)."""
    m, val, method = load_ent_run(run_dir, data_dir)
    if not m["config"].get("val_fraction", 0) > 0:
        raise SystemExit(f"{run_dir}: the run has no validation split; train it with --set val_fraction=0.1")
    test_cfg = {**m["config"], "val_fraction": 0.0}
    test = build_benchmark(m["benchmark"], test_cfg, data_dir, download=False, dataset_dirs=data_folders(m))
    return m, val, test, method


def study(method, val: Benchmark, test: Benchmark) -> dict:
    heads_val, heads_test = collect_heads(method, val), collect_heads(method, test)
    calib = own_task_calibration(heads_val)
    rows = []
    for name, (kind, scores) in selection_rules(val.n_tasks, calib).items():
        v = score_rule(scores(heads_val.logits), heads_val, method.shared_head)
        t = score_rule(scores(heads_test.logits), heads_test, method.shared_head)
        rows.append(
            {
                "rule": name,
                "kind": kind,
                **{f"val_{k}": x for k, x in v.items()},
                **{f"test_{k}": x for k, x in t.items()},
            }
        )
    best = max(rows, key=lambda r: r["val_accuracy"])  # max keeps the first of equal values
    return {
        "rules": rows,
        "selected": best["rule"],
        "paper_rule": PAPER_RULE,
        "calibration": calib,
        "oracle": {"val": oracle_accuracy(heads_val), "test": oracle_accuracy(heads_test)},
    }


def to_markdown(result: dict) -> str:
    lines = [
        f"HNET+ENT task-selection rules — {result['benchmark']} {result['scenario'].upper()}, training "
        f"setting {result['variant']!r}, seed {result['seed']}, "
        f"validation split {result['val_fraction']:g} of the training data.",
        "",
        "| rule | val accuracy | val task inference | val share chosen per task | test accuracy | |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["rules"]:
        mark = "selected on validation" if r["rule"] == result["selected"] else ""
        share = "/".join(f"{s:.0f}" for s in r["val_chosen_share"])
        lines.append(
            f"| {r['rule']} | {r['val_accuracy']:.2f} | {r['val_task_inference']:.2f} | {share} | "
            f"{r['test_accuracy']:.2f} | {mark} |"
        )
    lines += [
        "",
        f"Oracle task (ceiling): validation {result['oracle']['val']:.2f}, test {result['oracle']['test']:.2f}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--out", type=Path, required=True, help="study JSON; a .md table is written beside it")
    ap.add_argument(
        "--variant", default="paper", help="name of the training setting this run used (the report compares variants)"
    )
    args = ap.parse_args(argv)
    m, val, test, method = load_run(args.run_dir, args.data_dir)
    result = {
        "benchmark": m["benchmark"],
        "scenario": m["scenario"],
        "seed": m["seed"],
        "variant": args.variant,
        "val_fraction": m["config"]["val_fraction"],
        **study(method, val, test),
    }
    if any(math.isnan(r["val_accuracy"]) for r in result["rules"]):
        raise SystemExit("NaN accuracy: empty validation split?")
    atomic_write_text(args.out, json.dumps(result, indent=1))
    atomic_write_text(args.out.with_suffix(".md"), to_markdown(result))
    print(to_markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
