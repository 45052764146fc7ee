"""Platt scaling of the churn model, by hand. No Django, no database."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from health.scoring import churn_risk_predict
from health.scoring.platt import (
    MIN_OUTCOMES,
    PlattScaling,
    cross_validated_probabilities,
    platt_fit,
    sigmoid,
)


def test_two_groups_by_hand_with_smoothed_targets():
    # 4 churned of 8: Platt's targets are (4+1)/(4+2) = 5/6 for churned, 1/(4+2) = 1/6 for
    # retained. At logit -1: 1 churned + 3 retained -> mean target (5/6 + 3/6)/4 = 1/3;
    # at +1: 3 + 1 -> 2/3. Two points, two parameters: sigmoid(b - a) = 1/3 and
    # sigmoid(a + b) = 2/3, so a = ln 2 and b = 0.
    fit = platt_fit([-1] * 4 + [1] * 4, [1, 0, 0, 0, 1, 1, 1, 0], min_outcomes=0, min_per_class=0)
    assert fit.status == "calibrated" and fit.reason == ""
    assert fit.slope == pytest.approx(math.log(2), abs=1e-6)
    assert fit.intercept == pytest.approx(0, abs=1e-6)


def test_forty_outcomes_by_hand():
    # 20 churned of 40: targets 21/22 and 1/22. Logit -1: 5 churned of 20 -> mean target
    # (5*21 + 15)/440 = 3/11; +1: 15 of 20 -> 8/11. So a = ln(8/3), b = 0.
    fit = platt_fit([-1] * 20 + [1] * 20, [1] * 5 + [0] * 15 + [1] * 15 + [0] * 5)
    assert (fit.status, fit.outcomes, fit.churned) == ("calibrated", 40, 20)
    assert fit.slope == pytest.approx(math.log(8 / 3), abs=1e-6)
    assert fit.intercept == pytest.approx(0, abs=1e-6)
    scaling = PlattScaling(fit.slope, fit.intercept, version=1, outcomes=40)
    assert scaling.apply(1) == pytest.approx(8 / 11) and scaling.apply(-1) == pytest.approx(3 / 11)


@pytest.mark.parametrize(
    ("logits", "churned", "reason"),
    [
        ([0.0] * 29, [True] * 10 + [False] * 19, "29 renewal outcomes; at least 30 needed"),
        ([0.1 * i for i in range(40)], [True] * 4 + [False] * 36,
         "4 churned and 36 retained; at least 5 of each needed"),
        ([-2.0] * 40, [True, False] * 20, "every renewal had the same model logit"),
        # Churn at low model risk, renewal at high: scaling would turn the model around.
        ([0, 1, 2, 3] * 10, [True, True, False, False] * 10, "is not positive"),
    ],
)  # fmt: skip
def test_refuses_rather_than_invents(logits, churned, reason):
    fit = platt_fit(logits, churned)
    assert fit.status == "uncalibrated" and reason in fit.reason
    assert fit.slope is None and fit.intercept is None
    assert MIN_OUTCOMES == 30


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.floats(min_value=-6, max_value=3), st.booleans()), min_size=30, max_size=80
    )
)
def test_fit_satisfies_the_likelihood_equations(rows):
    # At the maximum, Σ(p - t) = 0 and Σ(p - t)·x = 0 for the smoothed targets t.
    logits, churned = [x for x, _ in rows], [c for _, c in rows]
    fit = platt_fit(logits, churned)
    if fit.status != "calibrated":
        return
    pos = sum(churned)
    neg = len(churned) - pos
    ts = [(pos + 1) / (pos + 2) if c else 1 / (neg + 2) for c in churned]
    ps = [sigmoid(fit.slope * x + fit.intercept) for x in logits]
    assert sum(p - t for p, t in zip(ps, ts, strict=True)) == pytest.approx(0, abs=1e-6)
    assert sum((p - t) * x for p, t, x in zip(ps, ts, logits, strict=True)) == pytest.approx(
        0, abs=1e-6
    )


# Churned (1) and retained renewals where the loss stops resolving Newton's decrease (flat to
# rounding) while the gradient is still ~1e-6: the line search alone stopped there.
_FLAT_LOGITS = [
    -0.37, 0.2, 1.88, -1.02, 0.21, -4.59, -4.14, -4.37, 0.03, -4.49, -2.54, 1.69, 2.51, -5.07,
    2.38, -0.53, -2.32, -5.27, -4.25, 1.61, -4.64, -3.26, -4.09, -3.99, -1.09, 0.31, -1.34,
    -3.7, -5.48, -1.65, 2.24, -3.32, -3.42, 2.3, -2.61, 2.12, -5.43,
]  # fmt: skip
_FLAT_CHURNED = [c == "1" for c in "1101001010001000110001011100110101110"]


def test_fit_reaches_the_optimum_where_the_loss_is_flat_to_rounding():
    fit = platt_fit(_FLAT_LOGITS, _FLAT_CHURNED)
    pos = sum(_FLAT_CHURNED)
    neg = len(_FLAT_CHURNED) - pos
    ts = [(pos + 1) / (pos + 2) if c else 1 / (neg + 2) for c in _FLAT_CHURNED]
    ps = [sigmoid(fit.slope * x + fit.intercept) for x in _FLAT_LOGITS]
    assert abs(sum((p - t) * x for p, t, x in zip(ps, ts, _FLAT_LOGITS, strict=True))) < 1e-9
    assert abs(sum(p - t for p, t in zip(ps, ts, strict=True))) < 1e-9


def test_cross_validation_never_fits_a_row_on_itself():
    logits = [-1.0] * 20 + [1.0] * 20 + [0.3 * i for i in range(10)]
    churned = [True] * 5 + [False] * 15 + [True] * 15 + [False] * 5 + [False, True] * 5
    probabilities, fits = cross_validated_probabilities(logits, churned, folds=5)
    assert len(fits) == 5 and all(f.outcomes == 40 for f in fits)
    # Folds as documented: sorted by outcome then position, dealt in turn.
    order = sorted(range(50), key=lambda i: (churned[i], i))
    fold = {i: position % 5 for position, i in enumerate(order)}
    for k in range(5):
        train = [i for i in range(50) if fold[i] != k]
        fit = platt_fit([logits[i] for i in train], [churned[i] for i in train])
        assert fits[k] == fit
        for i in (i for i in range(50) if fold[i] == k):
            assert probabilities[i] == sigmoid(fit.slope * logits[i] + fit.intercept)
    whole = platt_fit(logits, churned)
    assert probabilities[0] != sigmoid(whole.slope * logits[0] + whole.intercept)


def test_cross_validation_reports_folds_too_small():
    probabilities, fits = cross_validated_probabilities([0.1 * i for i in range(20)],
                                                        [True, False] * 10)  # fmt: skip
    assert all(p is None for p in probabilities)
    assert {f.status for f in fits} == {"uncalibrated"}


def test_reference_prediction_applies_the_calibration_by_hand():
    # health 47 -> logit -1.4 (raw p 0.1978, "medium"); slope 0.5, intercept 1:
    # 0.5 x -1.4 + 1 = 0.3 -> p = 1 / (1 + e^-0.3) = 0.5744, "critical".
    scaling = PlattScaling(0.5, 1.0, version=3, fitted_at="2026-12-06T12:00:00+00:00", outcomes=82)
    p = churn_risk_predict({"health_score": 47}, scaling)
    assert (p.logit, p.raw_probability, p.probability) == (-1.4, 0.1978, 0.5744)
    assert p.risk_level == "critical" and p.calibration_version == 3
    assert "Platt scaling v3" in p.note and "82 renewal outcomes" in p.note
    plain = churn_risk_predict({"health_score": 47})
    assert (plain.probability, plain.raw_probability, plain.calibration_version) == (
        0.1978, 0.1978, None
    )  # fmt: skip
    assert "Uncalibrated" in plain.note
    assert churn_risk_predict({}, scaling).calibration_version is None
