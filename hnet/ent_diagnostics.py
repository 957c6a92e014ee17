"""``python -m hnet.ent_diagnostics RUN_DIR``: where HNET+ENT's task inference goes wrong.

Loads a finished ``hnet_ent`` run (its metrics.json and the checkpoint kept with
``--keep-checkpoint``) and prints, on the evaluation data of the run (the test set, or the
validation split when the run used ``val_fraction``): the confusion matrix of true task vs the task
chosen by lowest entropy, the accuracy when the chosen task is right, and the accuracy that an
oracle task identity would give. With ``--temperatures`` it also reports the overall accuracy when
each task's logits are divided by a per-task temperature before the entropy comparison (the
temperature only changes which task wins, never the class within a task). Choose such settings on
a validation split, never on the test set.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from hnet.benchmarks import Scenario, build_benchmark
from hnet.methods import Context, method_class
from hnet.task_inference import entropy, head_logits


def load_run(run_dir: Path, data_dir: str):
    m = json.loads((run_dir / "metrics.json").read_text())
    cfg = m["config"]
    bench = build_benchmark(m["benchmark"], {**cfg, "data_dir": data_dir, "download": False})
    scenario = Scenario(m["scenario"], bench.n_tasks, bench.outputs_per_task)
    method = method_class(m["method"])(Context(bench, scenario, cfg, torch.device("cpu")))
    state = torch.load(run_dir / "checkpoint.pt", map_location="cpu", weights_only=False)
    method.load_state_dict(state["method"])
    return m, bench, method


@torch.no_grad()
def head_outputs(method, x):
    outputs = method.target(x, method.ph.all_weights(len(method.embs)))
    return head_logits(outputs, method.scenario.per_task, method.shared_head)  # (K, B, c)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--temperatures", type=float, nargs="*", default=[],
                    help="temperature for the last task's logits (others 1) to try")
    args = ap.parse_args(argv)
    m, bench, method = load_run(args.run_dir, args.data_dir)
    k = bench.n_tasks
    confusion = torch.zeros(k, k, dtype=torch.long)
    correct = {"inferred": 0, "oracle": 0, "when_right": 0, "right": 0}
    total = 0
    all_heads, all_true, all_labels = [], [], []
    for task in bench.tasks:
        for x, y in task.test_batches(2000):
            heads = head_outputs(method, x)
            chosen = entropy(heads).argmin(0)
            confusion[task.index] += torch.bincount(chosen, minlength=k)
            pred_local = heads[chosen, torch.arange(len(x))].argmax(-1)
            right = chosen == task.index
            # CL2 (shared head): the class counts whichever task was chosen; CL3: both must be right
            ok = (pred_local == y) if method.shared_head else (right & (pred_local == y))
            correct["inferred"] += int(ok.sum())
            correct["oracle"] += int((heads[task.index].argmax(-1) == y).sum())
            correct["when_right"] += int((right & (pred_local == y)).sum())
            correct["right"] += int(right.sum())
            total += len(x)
            all_heads.append(heads), all_true.append(torch.full((len(x),), task.index)), all_labels.append(y)
    print(f"run: {args.run_dir} ({m['benchmark']} {m['scenario']} {m['method']} seed {m['seed']})")
    print("task chosen by lowest entropy (rows: true task, columns: chosen task, % of the true task's samples):")
    pct = 100 * confusion / confusion.sum(1, keepdim=True)
    print("      " + " ".join(f"{j + 1:>6d}" for j in range(k)))
    for i in range(k):
        print(f"{i + 1:>5d} " + " ".join(f"{v:6.1f}" for v in pct[i].tolist()))
    print(f"task inference accuracy       {100 * correct['right'] / total:6.2f} %")
    print(f"accuracy, inferred task       {100 * correct['inferred'] / total:6.2f} %")
    print(f"accuracy given the right task {100 * correct['when_right'] / max(correct['right'], 1):6.2f} %")
    print(f"accuracy with oracle task     {100 * correct['oracle'] / total:6.2f} %")
    heads = torch.cat(all_heads, 1)
    true, labels = torch.cat(all_true), torch.cat(all_labels)
    for temp in args.temperatures:
        scaled = heads.clone()
        scaled[-1] = scaled[-1] / temp
        chosen = entropy(scaled).argmin(0)
        local = heads[chosen, torch.arange(heads.shape[1])].argmax(-1)
        ok = (local == labels) if method.shared_head else ((chosen == true) & (local == labels))
        acc = 100 * float(ok.float().mean())
        print(f"last-task temperature {temp:5.2f}: accuracy {acc:6.2f} %, last task chosen for "
              f"{100 * float((chosen == k - 1).float().mean()):5.1f} % of inputs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
