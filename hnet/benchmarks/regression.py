"""The paper's toy 1D regression (von Oswald et al. 2020, Sec. 4.1 and Fig. 2)."""

from __future__ import annotations

import torch

from hnet.benchmarks.base import Benchmark, Task

FUNCTIONS = {
    "x+3": (lambda x: x + 3, (-4.0, -2.0)),
    "2x^2-1": (lambda x: 2 * x**2 - 1, (-1.0, 1.0)),
    "(x-3)^3": (lambda x: (x - 3) ** 3, (2.0, 4.0)),
}


def make_regression(n_train: int, n_test: int, noise_std: float, data_seed: int) -> Benchmark:
    g = torch.Generator().manual_seed(data_seed)
    tasks = []
    for i, (fn, (lo, hi)) in enumerate(FUNCTIONS.values()):
        x = torch.rand(n_train, 1, generator=g) * (hi - lo) + lo
        y = fn(x) + noise_std * torch.randn(n_train, 1, generator=g)
        xt = torch.linspace(lo, hi, n_test).unsqueeze(1)
        tasks.append(Task(i, x, y, xt, fn(xt), classes=[]))
    return Benchmark(
        "regression", tasks, input_shape=(1,), outputs_per_task=1, regression=True, info={"functions": list(FUNCTIONS)}
    )
