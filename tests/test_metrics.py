import math

import pytest

from hnet.core import metrics

NAN = math.nan
# A[t][i]: task i after training task t (hand-made, 3 tasks)
A = [[90.0, NAN, NAN], [80.0, 95.0, NAN], [70.0, 85.0, 99.0]]


def test_final_and_during():
    assert metrics.final(A) == [70.0, 85.0, 99.0]
    assert metrics.during(A) == [90.0, 95.0, 99.0]


def test_bwt_by_hand():
    # ((70 - 90) + (85 - 95)) / 2
    assert metrics.bwt(A) == pytest.approx(-15.0)


def test_forgetting_by_hand():
    # task 1: max(90, 80) - 70 = 20; task 2: max(95) - 85 = 10
    assert metrics.forgetting(A) == pytest.approx(15.0)


def test_forgetting_uses_the_best_earlier_score_not_the_diagonal():
    b = [[50.0, NAN, NAN], [80.0, 90.0, NAN], [60.0, 90.0, 91.0]]
    assert metrics.forgetting(b) == pytest.approx(((80 - 60) + 0) / 2)
    assert metrics.bwt(b) == pytest.approx(((60 - 50) + 0) / 2)


def test_mse_forgetting_is_positive_when_error_rises():
    m = [[0.01, NAN], [0.5, 0.02]]
    assert metrics.forgetting(m, higher_is_better=False) == pytest.approx(0.49)
    assert metrics.bwt(m) == pytest.approx(0.49)


def test_single_row_matrix_of_joint_training():
    s = metrics.summarize([[97.0, 98.0, 99.0]])
    assert s["final_mean"] == pytest.approx(98.0)
    assert s["during"] is None and s["bwt"] is None and s["forgetting"] is None


def test_summarize():
    s = metrics.summarize(A)
    assert s["final_mean"] == pytest.approx((70 + 85 + 99) / 3)
    assert s["during_mean"] == pytest.approx((90 + 95 + 99) / 3)
