"""The cost model (hnet.tools.plan): its arithmetic by hand, a real probe, and the workflow's plan rule."""

import statistics

import pytest
import torch

from hnet.run.config import resolve
from hnet.tools.plan import Probe, cost_key, growth, linear, makespan, predict, probe, probed_tasks


def test_linear_fit_extrapolates_the_growth_and_never_goes_below_zero():
    f = linear([(1, 2.0), (2, 4.0), (3, 6.0)])
    assert f(10) == pytest.approx(20.0)
    assert linear([(0, 5.0)])(99) == 5.0
    assert linear([(0, 1.0), (1, 0.0)])(5) == 0.0


def test_growth_keeps_the_first_task_apart_from_the_regularised_ones():
    g = growth([(0, 1.0), (1, 5.0), (2, 6.0), (3, 7.0)])  # no regulariser on task 1: a jump, then +1 per task
    assert (g(0), g(1), g(99)) == (1.0, pytest.approx(5.0), pytest.approx(103.0))


def test_growth_within_the_probes_noise_is_not_extrapolated():
    g = growth([(0, 1.0), (1, 5.0), (2, 5.4), (3, 5.2)])  # +4 % over the probed phases: noise
    assert g(99) == pytest.approx(5.2) and g(0) == 1.0


def test_growth_below_the_totals_noise_is_extrapolated_when_the_step_medians_show_it():
    # a regulariser adding 9 % of a step per previous task (PermutedMNIST-100 HNET): +15 % over
    # phases 1-3, under the totals' 25 % threshold, but the medians are steady enough to show it
    totals = [(0, 1.0), (1, 1.09), (2, 1.25), (3, 1.27)]
    medians = [(0, 1.0), (1, 1.09), (2, 1.18), (3, 1.27)]
    assert growth(totals)(99) == pytest.approx(statistics.fmean([1.09, 1.25, 1.27]))
    assert growth(totals, medians=medians)(99) > 8.0
    # flat medians: the totals' wobble is not extrapolated either
    assert growth(totals, medians=[(0, 1.0), (1, 1.1), (2, 1.11), (3, 1.1)])(99) < 1.3


def test_many_task_benchmarks_probe_more_tasks():
    assert [probed_tasks(n, 4) for n in (3, 5, 10, 40, 100, 1000)] == [4, 4, 4, 5, 12, 12]


def test_makespan_is_a_longest_first_schedule_on_the_resources():
    # two cores, one each: 4 | 3 then 3 (at t=3) | 2 (at t=4): both cores busy until 6
    jobs = [(2.0, {"cores": 1}), (3.0, {"cores": 1}), (4.0, {"cores": 1}), (3.0, {"cores": 1})]
    assert makespan(jobs, {"cores": 2}) == pytest.approx(6.0)
    # one GPU: shares of 60 cannot overlap, shares of 50 pair up
    assert makespan([(1.0, {"gpu_share": 60})] * 3, {"gpu_share": 100}) == pytest.approx(3.0)
    assert makespan([(1.0, {"gpu_share": 50})] * 4, {"gpu_share": 100}) == pytest.approx(2.0)
    # a job asking for more than there is runs alone rather than never
    assert makespan([(1.0, {"cores": 4})], {"cores": 2}) == pytest.approx(1.0)


def test_prediction_adds_startup_data_steps_end_of_task_and_evaluations():
    pr = Probe(setup_s=2.0, step=[(0, 0.01), (1, 0.02)], end_task=[(0, 1.0), (1, 1.0)], eval_unit=[(0, 0.5), (1, 0.5)])
    cfg = {"iterations": 100, "epochs": 0, "batch_size": 10}
    # 3 tasks: steps 100 x (0.01 + 0.02 + 0.02) (one probed regularised phase: no slope), end 3 x 1,
    # evaluations (1 + 2 + 3) x 0.5, start-up 1 + data 2
    assert predict(pr, cfg, [[0], [1], [2]], [50, 50, 50], 1.0) == pytest.approx(5.0 + 3.0 + 3.0 + 3.0)


def test_a_probe_measures_every_probed_phase_of_a_real_run():
    cfg = resolve("regression", "cl1", "hnet")[0]
    job = {"benchmark": "regression", "scenario": "cl1", "method": "hnet", "overrides": {}}
    pr, resolved, phases, n_train = probe(job, "unused", torch.device("cpu"), iterations=5, max_tasks=2)
    assert resolved["iterations"] == cfg["iterations"] and phases == [[0], [1], [2]] and len(n_train) == 3
    assert [p for p, _ in pr.step] == [0, 1] and all(s > 0 for _, s in pr.step)
    assert [p for p, _ in pr.step_median] == [0, 1] and all(0 < m for _, m in pr.step_median)
    assert all(t >= 0 for _, t in pr.end_task + pr.eval_unit)
    assert predict(pr, resolved, phases, n_train, 0.0) > pr.setup_s


def test_strengths_and_rates_share_a_probe_but_switching_the_regulariser_off_does_not():
    job = {"benchmark": "split_mnist", "scenario": "cl1", "method": "hnet"}
    assert cost_key({**job, "overrides": {"beta": 0.1, "lr": 0.01}}) == cost_key({**job, "overrides": {"beta": 1.0}})
    assert cost_key({**job, "overrides": {"beta": 0.0}}) != cost_key({**job, "overrides": {}})
    assert cost_key({**job, "overrides": {"iterations": 7}}) != cost_key({**job, "overrides": {}})
