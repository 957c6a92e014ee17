"""``python -m hnet.tools.embedding_grid RUN_DIR --out grid.npz``: the paper's Fig. 4 data.

For an ``hnet`` run with two-dimensional task embeddings (``--set emb_dim=2 --keep-checkpoint``),
the test accuracy of every task's head when the task embedding is moved over a G x G grid of the
plane: the hypernetwork generates the weights of many grid points in one batched call and the
target network evaluates them batched over weights (no Python loop over grid points). The grid
covers the learned embeddings with a margin. Writes the accuracies (tasks x G x G), the grid axes,
the learned embeddings and the measured time.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from hnet.run.restore import restore_run


@torch.no_grad()
def grid_accuracy(
    method, bench, axes: tuple[torch.Tensor, torch.Tensor], test_images: int, chunk: int = 64
) -> np.ndarray:
    """(tasks, G, G) accuracy in percent of each task's head with the embedding at each grid point."""
    gx, gy = axes
    points = torch.stack(torch.meshgrid(gx, gy, indexing="xy"), -1).reshape(-1, 2)  # row i: y = gy[i]
    per_task = bench.outputs_per_task
    acc = np.zeros((bench.n_tasks, len(gy), len(gx)))
    for t, task in enumerate(bench.tasks):
        x, y = next(task.test_batches(test_images))
        correct = []
        for s in range(0, len(points), chunk):
            weights = method.ph.hnet(points[s : s + chunk])  # (K, P): one batched hypernetwork call
            heads = method.target(x, weights)[:, :, t * per_task : (t + 1) * per_task]  # (K, B, c)
            correct.append((heads.argmax(-1) == y).float().mean(1))
        acc[t] = 100 * torch.cat(correct).reshape(len(gy), len(gx)).numpy()
    return acc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--grid", type=int, default=100, help="grid points per axis")
    ap.add_argument("--test-images", type=int, default=500, help="test images per task")
    ap.add_argument("--margin", type=float, default=2.0, help="extent beyond the learned embeddings")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    m, bench, method = restore_run(args.run_dir, args.data_dir, "hnet")
    embs = torch.stack(method.ph.embs)
    if embs.shape[1] != 2:
        raise SystemExit(f"{args.run_dir}: task embeddings have {embs.shape[1]} dimensions; train with emb_dim=2")
    lo, hi = embs.min(0).values - args.margin, embs.max(0).values + args.margin
    centre, half = (lo + hi) / 2, float((hi - lo).max()) / 2  # a square extent: distances are comparable
    gx = torch.linspace(float(centre[0]) - half, float(centre[0]) + half, args.grid)
    gy = torch.linspace(float(centre[1]) - half, float(centre[1]) + half, args.grid)
    start, start_cpu = time.perf_counter(), time.process_time()
    acc = grid_accuracy(method, bench, (gx, gy), args.test_images)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, accuracy=acc, gx=gx.numpy(), gy=gy.numpy(), embeddings=embs.numpy(), final=np.array(m["final"]))
    info = {
        "run": str(args.run_dir),
        "grid": args.grid,
        "test_images": args.test_images,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,  # beside the wall time: other processes on the machine inflate that
        "config": {
            k: m["config"][k]
            for k in ("emb_dim", "target_hidden", "hnet_hidden", "chunk_size", "chunk_emb_dim", "beta", "iterations")
            if k in m["config"]
        },
    }
    args.out.with_suffix(".json").write_text(json.dumps(info, indent=2) + "\n")
    print(
        f"{args.grid} x {args.grid} grid, {bench.n_tasks} tasks x {args.test_images} test images: {seconds:.1f} s "
        f"({cpu_seconds:.1f} s of CPU time at {torch.get_num_threads()} threads)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
