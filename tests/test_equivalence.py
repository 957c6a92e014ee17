"""The report's equivalence test against hand-computed intervals (t quantiles from a printed table)."""

import math

import pytest

from hnet.analysis.equivalence import DIFFERENT, EQUIVALENT, NOT_ENOUGH, against_runs, against_value

MARGINS = {"accuracy_points": 1.0, "mse_factor": 2.0}
T95 = {1: 6.314, 2: 2.920, 3: 2.353}  # one-sided 95 % quantiles of Student's t (df = 1, 2, 3)


def test_two_samples_equivalent_when_the_interval_lies_inside_the_margin():
    # d = -0.1; each variance 0.02, se = sqrt(0.01 + 0.01); Welch df = 0.02^2 / (0.01^2 + 0.01^2) = 2
    v = against_runs([99.0, 99.2], [99.1, 99.3], "accuracy", MARGINS, 0.05)
    half = T95[2] * math.sqrt(0.02)
    assert v.verdict == EQUIVALENT
    assert v.difference == pytest.approx(-0.1)
    assert (v.low, v.high) == pytest.approx((-0.1 - half, -0.1 + half), abs=1e-3)


def test_two_samples_different_when_the_interval_lies_beyond_the_margin():
    v = against_runs([95.0, 95.2], [99.1, 99.3], "accuracy", MARGINS, 0.05)
    assert v.verdict == DIFFERENT and v.high == pytest.approx(-4.1 + T95[2] * math.sqrt(0.02), abs=1e-3)


def test_an_interval_across_the_margin_needs_more_runs():
    # d = 1, variances 2, se = sqrt(2), df = 2: [1 - 4.13, 1 + 4.13] straddles +-1
    v = against_runs([1.0, 3.0], [0.0, 2.0], "accuracy", MARGINS, 0.05)
    assert v.verdict == NOT_ENOUGH and v.low == pytest.approx(1 - T95[2] * math.sqrt(2), abs=1e-3)


def test_a_reference_of_one_run_never_makes_a_cell_equivalent():
    v = against_runs([99.0, 99.0, 99.0], [99.0], "accuracy", MARGINS, 0.05)
    assert v.verdict == NOT_ENOUGH and "1 reference" in v.why and math.isnan(v.low)
    assert against_runs([99.0], [99.0, 99.1], "accuracy", MARGINS, 0.05).verdict == NOT_ENOUGH


def test_identical_runs_without_spread_are_equivalent():
    assert against_runs([98.5, 98.5], [98.5, 98.5], "accuracy", MARGINS, 0.05).verdict == EQUIVALENT


def test_against_a_published_mean_more_seeds_decide():
    # d = -0.7; two seeds: se = 0.1, df 1 -> [-1.33, -0.07] straddles -1
    two = against_value([99.0, 99.2], 99.8, math.nan, "accuracy", MARGINS, 0.05)
    assert two.verdict == NOT_ENOUGH and two.low == pytest.approx(-0.7 - T95[1] * 0.1, abs=1e-3)
    # four seeds: var 0.04/3, se = sqrt(0.04 / 12), df 3 -> [-0.84, -0.56]
    four = against_value([99.0, 99.2, 99.0, 99.2], 99.8, math.nan, "accuracy", MARGINS, 0.05)
    assert four.verdict == EQUIVALENT and four.high == pytest.approx(-0.7 + T95[3] * math.sqrt(0.04 / 12), abs=1e-3)
    # the published SEM widens the interval: 0.5 in quadrature
    wide = against_value([99.0, 99.2, 99.0, 99.2], 99.8, 0.5, "accuracy", MARGINS, 0.05)
    assert wide.verdict == NOT_ENOUGH and wide.low == pytest.approx(
        -0.7 - T95[3] * math.sqrt(0.04 / 12 + 0.25), abs=1e-3
    )


def test_mse_is_compared_as_a_factor_on_the_log_scale():
    # about 9 % apart (log difference 0.09) against a margin of log 2 = 0.69; ten times apart: beyond it
    close = against_runs([0.0011, 0.0012], [0.0010, 0.0011], "mse", MARGINS, 0.05)
    assert close.margin == pytest.approx(math.log(2)) and close.verdict == EQUIVALENT
    far = against_runs([0.0100, 0.0101], [0.0010, 0.0011], "mse", MARGINS, 0.05)
    assert far.verdict == DIFFERENT and far.difference == pytest.approx(math.log(0.01005 / 0.00105), rel=1e-2)
