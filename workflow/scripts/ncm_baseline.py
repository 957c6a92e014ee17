"""Nearest class mean on raw pixels for SplitMNIST: a stand-alone program (it does not import
hnet), run by the workflow rule in ``workflow/rules/external/ncm.smk`` as the worked example of a
baseline that is someone else's code. It writes ``metrics.json`` in the documented format
(``hnet/analysis/metrics.schema.json``), which is all the aggregation needs.

Each class is represented by the mean of its training images; a test image gets the nearest mean
(Euclidean) among the classes it may use: its task's two classes (CL1), the two task-local labels
whose means pool every task seen so far (CL2), or every class seen so far (CL3). Class means are
exact running averages, so this classifier cannot forget; it needs no training and no seed.

    python workflow/scripts/ncm_baseline.py --data-dir DATA --scenario cl3 --out metrics.json
"""

import argparse
import json
from pathlib import Path

import torch
from torchvision.datasets import MNIST


def load(data_dir: str, train: bool):
    ds = MNIST(data_dir, train=train, download=False)
    return ds.data.reshape(len(ds.data), -1).float() / 255, ds.targets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--scenario", choices=["cl1", "cl2", "cl3"], required=True)
    ap.add_argument("--seed", type=int, default=1, help="recorded only: the method is deterministic")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    (xtr, ytr), (xte, yte) = load(args.data_dir, True), load(args.data_dir, False)
    n_tasks = 5
    means = torch.stack([xtr[ytr == c].mean(0) for c in range(10)])  # per digit
    counts = torch.tensor([(ytr == c).sum() for c in range(10)], dtype=torch.float)
    matrix = []
    for t in range(n_tasks):
        row = []
        for i in range(n_tasks):
            if i > t:
                row.append(None)
                continue
            sel = (yte == 2 * i) | (yte == 2 * i + 1)
            x, y = xte[sel], yte[sel]
            if args.scenario == "cl1":
                candidates = [2 * i, 2 * i + 1]
                centres = means[candidates]
                pred = torch.tensor(candidates)[torch.cdist(x, centres).argmin(1)]
                correct = pred == y
            elif args.scenario == "cl2":  # one mean per task-local label, pooled over tasks 0..t
                seen = torch.arange(2 * (t + 1))
                local = []
                for lab in (0, 1):
                    cls = seen[seen % 2 == lab]
                    local.append((means[cls] * counts[cls, None]).sum(0) / counts[cls].sum())
                correct = torch.cdist(x, torch.stack(local)).argmin(1) == y % 2
            else:
                correct = torch.cdist(x, means[: 2 * (t + 1)]).argmin(1) == y
            row.append(100.0 * correct.float().mean().item())
        matrix.append(row)
    result = {
        "benchmark": "split_mnist",
        "scenario": args.scenario,
        "method": "ncm",
        "seed": args.seed,
        "metric": "accuracy",
        "matrix": matrix,
        "config": {"representation": "raw pixels in [0, 1]", "distance": "euclidean"},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
