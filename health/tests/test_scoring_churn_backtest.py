"""Churn-risk model and backtest maths. No Django, no database."""

import json
import math

import pytest

from health.scoring import (
    FEATURE_KEYS,
    FEATURES,
    MODEL_VERSION,
    BacktestRow,
    auc,
    backtest_summary,
    churn_risk_predict,
    risk_level_for,
)

GOOD = {
    "health_score": 85,
    "usage_trend_pct": 10,
    "open_high_severity_tickets": 0,
    "nps_answer_avg_180d": 9,
    "days_since_last_activity": 2,
    "payment_status": "current",
}
BAD = {
    "health_score": 30,
    "usage_trend_pct": -45,
    "open_high_severity_tickets": 3,
    "nps_answer_avg_180d": 4,
    "days_since_last_activity": 45,
    "payment_status": "delinquent",
}


def test_feature_keys_are_documented_and_signed_as_explained():
    assert FEATURE_KEYS == (
        "health_score",
        "usage_trend_pct",
        "open_high_severity_tickets",
        "nps_answer_avg_180d",
        "days_since_last_activity",
        "payment_status",
    )
    signs = {f.key: math.copysign(1, f.coefficient) for f in FEATURES}
    # Protective signals lower the log-odds; risk signals raise them.
    assert signs == {
        "health_score": -1,
        "usage_trend_pct": -1,
        "open_high_severity_tickets": 1,
        "nps_answer_avg_180d": -1,
        "days_since_last_activity": 1,
        "payment_status": 1,
    }
    assert not any(f.why.startswith(("Negative", "Positive")) for f in FEATURES)


def test_renewal_proximity_is_not_a_churn_feature():
    # Proximity is urgency (health.scoring.urgency), multiplied into risk lists beside the
    # probability; as a model feature too it would count twice. A days_to_renewal value
    # passed in is ignored: the same prediction near and far from the renewal.
    assert "days_to_renewal" not in FEATURE_KEYS
    near = churn_risk_predict({**BAD, "days_to_renewal": 5})
    far = churn_risk_predict({**BAD, "days_to_renewal": 400})
    assert near == far == churn_risk_predict(BAD)
    assert all("renewal" not in f.why.lower() for f in near.factors)


def test_reason_line_agrees_with_the_effect_one_line_per_factor():
    # usage -40 %: z = (-40 - 0) / 25 = -1.6, log-odds = -0.5 x -1.6 = +0.8 -> raises risk.
    # NPS 9: z = (9 - 7.5) / 1.8 = 0.833, log-odds = -0.45 x 0.833 = -0.375 -> lowers risk.
    p = churn_risk_predict({"usage_trend_pct": -40, "nps_answer_avg_180d": 9})
    by_key = {f.key: f for f in p.factors}
    assert by_key["usage_trend_pct"].log_odds == 0.8
    assert by_key["usage_trend_pct"].why == (
        "raises risk: Usage trend (%, 30d vs prior 30d) is -40 (typical 0); "
        "shrinking usage precedes churn by months; growth means value"
    )
    assert by_key["nps_answer_avg_180d"].log_odds == -0.375
    assert by_key["nps_answer_avg_180d"].why.startswith(
        "lowers risk: NPS answer mean (0-10, 180d) is 9 (typical 7.5); "
    )
    assert by_key["payment_status"].why == (
        "no data: Payment status (current/late/delinquent) (absent); assumed typical "
        "(current), so it does not move the risk"
    )
    words = {"raises_risk": "raises risk: ", "lowers_risk": "lowers risk: ",
             "neutral": "no effect: ", "missing": "no data: "}  # fmt: skip
    for f in churn_risk_predict(BAD).factors + churn_risk_predict(GOOD).factors + p.factors:
        assert f.why.startswith(words[f.effect]) and "\n" not in f.why


def test_worse_features_give_higher_probability():
    good, bad = churn_risk_predict(GOOD), churn_risk_predict(BAD)
    assert good.model_version == MODEL_VERSION == "churn-logit-v2"
    assert 0 <= good.probability < bad.probability <= 1
    assert good.risk_level == "low" and bad.risk_level == "critical"
    assert good.coverage == 1.0 and good.missing_features == ()
    assert all(f.effect == "raises_risk" for f in bad.factors)


def test_contributions_sum_to_logit_minus_intercept_and_are_sorted():
    p = churn_risk_predict(BAD)
    total = sum(f.log_odds for f in p.factors)
    assert total == pytest.approx(p.logit - p.intercept, abs=1e-3)
    assert p.probability == pytest.approx(1 / (1 + math.exp(-p.logit)), abs=1e-4)
    magnitudes = [abs(f.log_odds) for f in p.factors]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert sum(f.share for f in p.factors) == pytest.approx(1.0, abs=1e-3)
    json.dumps(p.to_dict(), allow_nan=False)


def test_by_hand_single_feature():
    # health 47: z = (47 - 65) / 18 = -1; log-odds = -0.8 * -1 = +0.8; logit = -2.2 + 0.8 = -1.4
    # p = 1 / (1 + e^1.4) = 0.1978
    p = churn_risk_predict({"health_score": 47})
    hs = p.factors[0]
    assert (hs.key, hs.z, hs.log_odds, hs.share) == ("health_score", -1.0, 0.8, 1.0)
    assert p.logit == -1.4 and p.probability == 0.1978 and p.risk_level == "medium"


def test_missing_features_are_listed_zero_log_odds_and_lower_coverage():
    p = churn_risk_predict({"health_score": 40, "usage_trend_pct": None, "payment_status": "??"})
    assert set(p.missing_features) == set(FEATURE_KEYS) - {"health_score"}
    missing = {f.key: f for f in p.factors if f.status == "missing"}
    assert all(f.log_odds == 0 and f.effect == "missing" for f in missing.values())
    assert missing["usage_trend_pct"].missing_reason == "null"
    assert missing["payment_status"].missing_reason == "unrecognised"
    assert missing["days_since_last_activity"].missing_reason == "absent"
    assert p.factors[0].key == "health_score"  # present factors first
    # coverage = |coef| present / Σ|coef| = 0.8 / 3.05 (0.8+0.5+0.4+0.45+0.4+0.5)
    assert p.coverage == pytest.approx(0.8 / 3.05, abs=1e-4)
    assert "contribute 0 log-odds" in p.note and "reference mean" in p.note


def test_no_features_means_no_prediction():
    p = churn_risk_predict({})
    assert p.probability is None and p.risk_level == "unknown" and p.coverage == 0.0


def test_extreme_values_are_clipped_and_payment_codes_accepted():
    p = churn_risk_predict({"usage_trend_pct": 5000, "payment_status": 2})
    trend = next(f for f in p.factors if f.key == "usage_trend_pct")
    assert trend.z == 3.0
    assert next(f for f in p.factors if f.key == "payment_status").status == "present"
    assert set(churn_risk_predict({"payment_status": 7}).missing_features) == set(FEATURE_KEYS)


@pytest.mark.parametrize(
    ("p", "level"),
    [(0.0, "low"), (0.1499, "low"), (0.15, "medium"), (0.3, "high"), (0.5, "critical")],
)
def test_risk_level_cut_offs(p, level):
    assert risk_level_for(p) == level


# --- backtest ------------------------------------------------------------------------------


def test_auc_by_hand_with_a_tie():
    # positives 0.9, 0.7; negatives 0.8, 0.7, 0.2
    # pairs: 0.9>0.8, 0.9>0.7, 0.9>0.2 -> 3; 0.7<0.8 -> 0; 0.7=0.7 -> 0.5; 0.7>0.2 -> 1
    # AUC = 4.5 / 6 = 0.75
    assert auc([0.9, 0.8, 0.7, 0.7, 0.2], [1, 0, 1, 0, 0]) == 0.75
    assert auc([3, 2, 1], [True, False, False]) == 1.0
    assert auc([1, 2, 3], [True, False, False]) == 0.0
    assert auc([5, 5, 5, 5], [1, 0, 1, 0]) == 0.5


def test_auc_undefined_for_one_class_and_rejects_bad_input():
    assert auc([0.1, 0.9], [1, 1]) is None
    assert auc([0.1, 0.9], [0, 0]) is None
    assert auc([], []) is None
    with pytest.raises(ValueError):
        auc([0.1], [1, 0])
    with pytest.raises(ValueError):
        auc([float("nan"), 1], [1, 0])


def test_backtest_summary_by_hand():
    rows = [
        BacktestRow(20, "red", "churned"),
        (80, "green", "churned"),
        (None, None, "churned"),  # no score 90 days before: skipped and reported
        (90, "green", "renewed"),
        (50, "yellow", "expanded"),
        (30, "red", "downgraded"),
    ]
    s = backtest_summary(rows)
    # risk = 100 - score. lost: 80, 20, 70; retained: 10, 50.
    # pairs: 80>10, 80>50, 20>10, 20<50, 70>10, 70>50 -> 5 of 6 -> 0.8333
    assert s.auc == 0.8333
    assert (s.rows_total, s.rows_scored, s.rows_skipped_missing_score) == (6, 5, 1)
    assert (s.positives, s.negatives) == (3, 2)
    assert s.outcome_counts == {"renewed": 1, "expanded": 1, "churned": 3, "downgraded": 1}
    # churned with a known band: red, green -> 1 of 2 was green
    assert (s.churned_total, s.churned_with_band, s.churned_green) == (3, 2, 1)
    assert s.churned_green_share == 0.5
    assert s.band_outcomes["unknown"]["churned"] == 1
    json.dumps(s.to_dict())


def test_backtest_one_class_and_bad_outcome():
    s = backtest_summary([(80, "green", "renewed"), (60, "yellow", "expanded")])
    assert s.auc is None and "undefined" in s.auc_note and s.churned_green_share is None
    with pytest.raises(ValueError, match="row 1"):
        backtest_summary([(80, "green", "renewed"), (60, "yellow", "lost")])


def test_calibration_brier_and_reliability_by_hand():
    from health.scoring.calibration import calibration_report

    # (0.1-0)² + (0.2-0)² + (0.8-1)² + (0.9-1)² = 0.01 + 0.04 + 0.04 + 0.01 = 0.1; /4 = 0.025.
    # Base rate 2/4: always answering 0.5 scores 0.5 x 0.5 = 0.25.
    c = calibration_report([0.9, 0.1, 0.8, 0.2], [True, False, True, False])
    assert (c.rows, c.churned, c.brier, c.brier_base_rate) == (4, 2, 0.025, 0.25)
    assert [(b.decile, b.rows, b.mean_predicted, b.observed_rate) for b in c.table] == [
        (1, 1, 0.1, 0.0), (2, 1, 0.2, 0.0), (3, 1, 0.8, 1.0), (4, 1, 0.9, 1.0)
    ]  # fmt: skip
    # 20 rows -> ten deciles of two, sorted by prediction: decile 10 = the two highest.
    probs = [i / 20 for i in range(20)]
    outcomes = [i >= 15 for i in range(20)]
    table = calibration_report(probs, outcomes).table
    assert len(table) == 10 and all(b.rows == 2 for b in table)
    assert (table[9].mean_predicted, table[9].observed_rate) == (0.925, 1.0)
    assert (table[7].mean_predicted, table[7].observed_rate, table[7].churned) == (0.725, 0.5, 1)
    assert calibration_report([], []).brier is None
