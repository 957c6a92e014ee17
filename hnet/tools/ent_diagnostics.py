"""``python -m hnet.tools.ent_diagnostics RUN_DIR``: where HNET+ENT's task inference goes wrong.

Loads a finished ``hnet_ent`` run (its metrics.json and the checkpoint kept with
``--keep-checkpoint``) and prints, on the evaluation data of the run (the test set, or the
validation split when the run used ``val_fraction``): the confusion matrix of true task vs the task
chosen by lowest entropy, the accuracy when the chosen task is right, and the accuracy that an
oracle task identity would give. With ``--temperatures`` it also reports the overall accuracy when
the last task's logits are divided by a temperature before the entropy comparison (the
temperature only changes which task wins, never the class within a task). Choose such settings on
a validation split, never on the test set: ``python -m hnet.tools.ent_study`` does that systematically.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from hnet.methods.ent import entropy
from hnet.tools.ent_study import collect_heads, load_ent_run, oracle_accuracy, score_rule


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--data-dir", default="data")
    ap.add_argument(
        "--temperatures",
        type=float,
        nargs="*",
        default=[],
        help="temperature for the last task's logits (others 1) to try",
    )
    args = ap.parse_args(argv)
    m, bench, method = load_ent_run(args.run_dir, args.data_dir)
    heads = collect_heads(method, bench)
    k, n = heads.logits.shape[:2]
    chosen = entropy(heads.logits).argmin(0)
    confusion = torch.bincount(heads.task * k + chosen, minlength=k * k).reshape(k, k)
    right = chosen == heads.task
    local = heads.logits[chosen, torch.arange(n)].argmax(-1)
    result = score_rule(entropy(heads.logits), heads, method.shared_head)
    print(f"run: {args.run_dir} ({m['benchmark']} {m['scenario']} {m['method']} seed {m['seed']})")
    print("task chosen by lowest entropy (rows: true task, columns: chosen task, % of the true task's samples):")
    pct = 100 * confusion / confusion.sum(1, keepdim=True)
    print("      " + " ".join(f"{j + 1:>6d}" for j in range(k)))
    for i in range(k):
        print(f"{i + 1:>5d} " + " ".join(f"{v:6.1f}" for v in pct[i].tolist()))
    print(f"task inference accuracy       {result['task_inference']:6.2f} %")
    print(f"accuracy, inferred task       {result['accuracy']:6.2f} %")
    when_right = 100 * float((right & (local == heads.label)).sum()) / max(int(right.sum()), 1)
    print(f"accuracy given the right task {when_right:6.2f} %")
    print(f"accuracy with oracle task     {oracle_accuracy(heads):6.2f} %")
    for temp in args.temperatures:
        scale = torch.ones(k)
        scale[-1] = temp
        res = score_rule(entropy(heads.logits / scale[:, None, None]), heads, method.shared_head)
        print(
            f"last-task temperature {temp:5.2f}: accuracy {res['accuracy']:6.2f} %, last task chosen for "
            f"{res['chosen_share'][-1]:5.1f} % of inputs"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
