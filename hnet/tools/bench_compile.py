"""``python -m hnet.bench --compiled MODE``: the compiled training step (``hnet.core.compiling``)
against the eager one, interleaved in one process, with the time the first steps took to compile.

The lines: the plain target network and HNET at the first and the last task of SplitMNIST and
PermutedMNIST-10, and PermutedMNIST-100 HNET at task 10. ``cudagraphs`` needs a CUDA device
(``workflow/scripts/gpu_check.sh`` runs both modes there).
"""

from __future__ import annotations

import time

from hnet.core.compiling import check_compile_mode, step_begins
from hnet.tools.bench_common import hnet_at_task, interleaved, make_method, per_call, repeated, step_fn, sync

# (label, preset, method, previous tasks)
LINES = (
    ("SplitMNIST plain", "split_mnist", "finetune", 0),
    ("SplitMNIST HNET task 1", "split_mnist", "hnet", 0),
    ("SplitMNIST HNET task 5", "split_mnist", "hnet", 4),
    ("PermutedMNIST-10 plain", "permuted_mnist", "finetune", 0),
    ("PermutedMNIST-10 HNET task 1", "permuted_mnist", "hnet", 0),
    ("PermutedMNIST-10 HNET task 10", "permuted_mnist", "hnet", 9),
    ("PermutedMNIST-100 HNET task 10", "permuted_mnist_100", "hnet", 9),
)
WARM_STEPS = 3  # compile, then (cudagraphs) record: the graphs are replayed from the third call on


def _step(preset: str, method: str, previous: int, device, mode: str):
    if method == "hnet":
        m, bench, cfg = hnet_at_task(preset, previous, device, mode)
    else:
        m, bench, cfg = make_method(preset, method, device, mode)
    fn = step_fn(m, bench, cfg, previous)

    def step():
        step_begins(mode)
        return fn()

    return step


def compile_lines(device, mode: str, repeats: int, steps_per_block: int = 5, only: str | None = None) -> None:
    check_compile_mode(mode, device)
    print(
        f"\nCompiled ({mode}) against eager, one training step of each CL1 preset, "
        f"{repeats} interleaved rounds of {steps_per_block} steps, medians:"
    )
    for label, preset, method, previous in LINES:
        if only and only not in preset:
            continue
        fns, warm_s = {}, 0.0
        for m in ("none", mode):
            step = _step(preset, method, previous, device, m)
            start = time.perf_counter()
            for _ in range(WARM_STEPS):
                step()
            sync(device)
            if m == mode:
                warm_s = time.perf_counter() - start
            fns[m] = repeated(step, steps_per_block)
        t = {k: per_call(v, steps_per_block) for k, v in interleaved(fns, device, repeats, warmup=1).items()}
        print(
            f"  {label:<31} eager {t['none']}   {mode} {t[mode]}   "
            f"speed-up {t['none'].wall_ms / t[mode].wall_ms:5.2f} x   (first {WARM_STEPS} steps {warm_s:5.1f} s)"
        )
