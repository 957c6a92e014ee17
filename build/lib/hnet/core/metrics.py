"""Scalars derived from the accuracy matrix A[t][i] (score on task i after training task t).

Pure functions, the one place every reported number comes from. Entries above the diagonal (tasks
not yet trained) are NaN. A single-row matrix (joint training) has no "during" diagonal, so
``during``, ``bwt`` and ``forgetting`` are None for it. For MSE (lower is better) ``bwt`` keeps its
raw sign (positive = got worse) and ``forgetting`` is the rise above the best earlier MSE, so that
forgetting is positive when performance degrades under either metric.
"""

from __future__ import annotations

import numpy as np


def _as_array(matrix) -> np.ndarray:
    return np.asarray(matrix, dtype=float)


def final(matrix) -> list[float]:
    """Score on every task after the last training phase."""
    return _as_array(matrix)[-1].tolist()


def during(matrix) -> list[float] | None:
    """A[i][i]: score on each task right after learning it."""
    a = _as_array(matrix)
    if a.shape[0] != a.shape[1]:
        return None
    return np.diag(a).tolist()


def bwt(matrix) -> float | None:
    """Backward transfer: mean over i < T-1 of A[T-1][i] - A[i][i] (Lopez-Paz & Ranzato 2017)."""
    a = _as_array(matrix)
    if a.shape[0] != a.shape[1] or a.shape[0] < 2:
        return None
    t = a.shape[0]
    return float(np.mean([a[-1, i] - a[i, i] for i in range(t - 1)]))


def forgetting(matrix, higher_is_better: bool = True) -> float | None:
    """Mean over i < T-1 of the drop from the best earlier score to the final one (Chaudhry et al. 2018)."""
    a = _as_array(matrix)
    if a.shape[0] != a.shape[1] or a.shape[0] < 2:
        return None
    t = a.shape[0]
    if higher_is_better:
        drops = [np.max(a[i : t - 1, i]) - a[-1, i] for i in range(t - 1)]
    else:
        drops = [a[-1, i] - np.min(a[i : t - 1, i]) for i in range(t - 1)]
    return float(np.mean(drops))


def summarize(matrix, metric: str = "accuracy") -> dict:
    higher = metric != "mse"
    fin, dur = final(matrix), during(matrix)
    return {
        "final": fin,
        "during": dur,
        "final_mean": float(np.mean(fin)),
        "during_mean": None if dur is None else float(np.mean(dur)),
        "bwt": bwt(matrix),
        "forgetting": forgetting(matrix, higher),
    }
