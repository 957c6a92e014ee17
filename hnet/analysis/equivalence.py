"""The report's verdicts: an equivalence test between reproduced runs and a reference, with a stated
margin, that can say "equivalent", "different" or "not enough runs".

The test is the interval form of two one-sided tests (TOST, Schuirmann 1987): with d the reproduced
mean minus the reference mean and [lo, hi] its (1 - 2 alpha) confidence interval (Welch's t),

- **equivalent** when the whole interval lies inside (-margin, +margin): both one-sided tests reject
  "the difference is at least the margin" at level alpha;
- **different** when the whole interval lies outside [-margin, +margin]: the difference exceeds the
  margin, significantly;
- **not enough runs** otherwise (the interval straddles a margin: more seeds would decide), and
  whenever a side whose spread is needed has fewer than two runs: one run cannot estimate its noise,
  so a reference with n = 1 never makes a cell equivalent.

Accuracies are compared in points; MSEs on the log scale (the margin is a factor, log(factor)).
A published number comes without its seeds: its mean is the reference and its SEM, when the source
gives one, adds to the reproduced side's variance (degrees of freedom: the reproduced side's).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

EQUIVALENT, DIFFERENT, NOT_ENOUGH = "equivalent", "different", "not enough runs"


@dataclass(frozen=True)
class Verdict:
    verdict: str
    difference: float  # reproduced - reference (log ratio for MSE)
    low: float  # the (1 - 2 alpha) confidence interval of the difference; nan when not computed
    high: float
    margin: float
    why: str = ""


def _scale(values: Sequence[float], metric: str) -> list[float]:
    values = [float(v) for v in values if not math.isnan(float(v))]
    return [math.log(max(v, 1e-300)) for v in values] if metric == "mse" else values


def _mean_var(xs: list[float]) -> tuple[float, float]:
    m = sum(xs) / len(xs)
    return m, (sum((x - m) ** 2 for x in xs) / (len(xs) - 1) if len(xs) > 1 else math.nan)


def margin_for(metric: str, margins: dict) -> float:
    """The margin on the compared scale: accuracy points, or log of the MSE factor."""
    return math.log(margins["mse_factor"]) if metric == "mse" else float(margins["accuracy_points"])


def decide(d: float, low: float, high: float, margin: float, why: str = "") -> Verdict:
    if -margin < low and high < margin:
        return Verdict(EQUIVALENT, d, low, high, margin, why)
    if low > margin or high < -margin:
        return Verdict(DIFFERENT, d, low, high, margin, why)
    return Verdict(NOT_ENOUGH, d, low, high, margin, why or "the interval straddles the margin")


def against_runs(
    reproduced: Sequence[float], reference: Sequence[float], metric: str, margins: dict, alpha: float
) -> Verdict:
    """Two samples of per-seed values (this suite's runs, the reference code's runs): Welch TOST."""
    margin = margin_for(metric, margins)
    a, b = _scale(reproduced, metric), _scale(reference, metric)
    if not a or not b:
        return Verdict(NOT_ENOUGH, math.nan, math.nan, math.nan, margin, "no runs")
    (ma, va), (mb, vb) = _mean_var(a), _mean_var(b)
    d = ma - mb
    if len(a) < 2 or len(b) < 2:
        return Verdict(NOT_ENOUGH, d, math.nan, math.nan, margin, f"n = {len(a)} reproduced, {len(b)} reference")
    sa, sb = va / len(a), vb / len(b)
    se = math.sqrt(sa + sb)
    if se == 0.0:
        return decide(d, d, d, margin, "no spread on either side")
    df = (sa + sb) ** 2 / (sa**2 / (len(a) - 1) + sb**2 / (len(b) - 1))  # Welch-Satterthwaite
    half = stats.t.ppf(1 - alpha, df) * se
    return decide(d, d - half, d + half, margin)


def against_value(
    reproduced: Sequence[float], value: float, value_sem: float, metric: str, margins: dict, alpha: float
) -> Verdict:
    """Per-seed values against a published mean (and its SEM, when given): one-sample TOST."""
    margin = margin_for(metric, margins)
    a = _scale(reproduced, metric)
    ref = _scale([value], metric)
    if not a or not ref:
        return Verdict(NOT_ENOUGH, math.nan, math.nan, math.nan, margin, "no runs")
    m, v = _mean_var(a)
    d = m - ref[0]
    if len(a) < 2:
        return Verdict(NOT_ENOUGH, d, math.nan, math.nan, margin, f"n = {len(a)} reproduced")
    ref_var = 0.0 if value_sem is None or math.isnan(value_sem) else value_sem**2
    if metric == "mse" and ref_var:
        ref_var /= value**2  # the SEM of log(x) ~ SEM(x) / x
    se = math.sqrt(v / len(a) + ref_var)
    if se == 0.0:
        return decide(d, d, d, margin, "no spread")
    half = stats.t.ppf(1 - alpha, len(a) - 1) * se
    return decide(d, d - half, d + half, margin)


def describe(margins: dict, alpha: float) -> str:
    """One sentence for the report: the test, its level and the margins."""
    return (
        f"Verdicts: equivalence by two one-sided Welch t-tests (TOST) at level {alpha:g}, i.e. the "
        f"{100 * (1 - 2 * alpha):g} % confidence interval of the difference against a margin of "
        f"±{margins['accuracy_points']:g} accuracy points (MSE: a factor {margins['mse_factor']:g}, on the log scale); "
        "'equivalent': the interval inside the margin, 'different': wholly outside it, 'not enough runs': "
        "it straddles the margin or a side has fewer than two runs (a published number counts as a fixed "
        "reference plus its SEM where the source gives one)."
    )
