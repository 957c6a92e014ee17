"""The PermutedMNIST-100 bench's arithmetic: the interpolated wall time and the regulariser's target memory."""

import pytest
import torch

from hnet.tools.bench_common import hnet_at_task
from hnet.tools.bench_pm100 import interpolated_total_s, target_memory_mb


def test_one_seeds_time_interpolates_linearly_between_the_measured_tasks():
    # tasks 1..3 at 10, 20, 30 ms (task 2 interpolated), 100 steps each: (10 + 20 + 30) x 100 ms
    assert interpolated_total_s({1: 10.0, 3: 30.0}, 3, 100) == pytest.approx(6.0)
    # beyond the last measured task: its cost
    assert interpolated_total_s({1: 10.0, 2: 20.0}, 4, 10) == pytest.approx((10 + 20 + 20 + 20) / 100)


def test_target_memory_counts_stored_outputs_the_hypernetwork_copy_and_the_gram_snapshot():
    m, _, _ = hnet_at_task("permuted_mnist", 3, torch.device("cpu"), hnet_hidden=[4], chunk_size=50000)
    mem = target_memory_mb(m, 3)
    stored, copy, gram = mem.values()
    assert stored == pytest.approx(3 * m.ph.hnet.target_numel * 4 / 2**20)
    assert copy == pytest.approx(m.ph.hnet.num_params() * 4 / 2**20)
    # out weight + bias + features of 3 tasks x chunks + A*ᵀA* of two row blocks (float32), S* of the
    # full chunks and of the last one (5 x 5, float64)
    snap = m.ph.snapshot
    n_bytes = 4 * (m.ph.hnet.chunk_size * 4 + m.ph.hnet.chunk_size + 3 * m.ph.hnet.n_chunks * 4 + 2 * 16) + 8 * 2 * 25
    assert gram == pytest.approx(n_bytes / 2**20) and snap is not None


def test_interleaved_timing_alternates_the_functions_and_reports_medians():
    from hnet.tools.bench_common import interleaved

    calls = []
    t = interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, torch.device("cpu"), 3, warmup=1)
    assert calls == ["a", "b"] + ["a", "b"] * 3  # warm-up, then rounds a, b, a, b, ...
    assert set(t) == {"a", "b"} and all(v.wall_ms >= 0 and v.cpu_ms >= 0 for v in t.values())


def test_the_mnist_lines_print_each_step_with_its_ratio_and_target(capsys):
    from hnet.tools.bench import mnist_lines

    mnist_lines(torch.device("cpu"), repeats=1, steps_per_block=1)
    out = capsys.readouterr().out
    assert "SplitMNIST" in out and "PermutedMNIST-10" in out
    assert "HNET task 1 " in out and "HNET task 10 " in out and "(target <= 1.5)" in out and "(target <= 2.0)" in out
