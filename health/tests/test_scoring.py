"""Pure scoring core: definitions, validation, scoring, overrides. No Django, no database."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from health.scoring import (
    MISSING_DROPPED,
    MISSING_FIXED,
    SCORED,
    Override,
    ScoreBands,
    Scorecard,
    ScorecardValidationError,
    ScoreResult,
    apply_override,
    default_input_specs,
    default_scorecard,
    default_scorecard_dict,
    renewal_proximity_measure,
    score_inputs,
    validate_scorecard,
)


def three_measure_dict(nps_missing=None):
    """usage (60): trend w2 linear, seats w1 step; sentiment (40): nps w1 linear.

    Configured weights: trend 0.6*2/3 = 0.4, seats 0.6*1/3 = 0.2, nps 0.4.
    """
    nps = {
        "key": "nps",
        "label": "NPS answer",
        "input_key": "nps",
        "unit": "0-10",
        "weight": 1,
        "bands": {"kind": "linear", "points": [[0, 0], [10, 100]]},
        "missing": nps_missing or {"policy": "drop"},
    }
    return {
        "key": "test",
        "version": 1,
        "name": "Three measures",
        "score_bands": {"green_min": 70, "yellow_min": 40},
        "groups": [
            {
                "key": "usage",
                "label": "Product usage",
                "weight": 60,
                "measures": [
                    {
                        "key": "trend",
                        "label": "Usage trend",
                        "input_key": "trend",
                        "unit": "%",
                        "weight": 2,
                        "bands": {"kind": "linear", "points": [[-50, 0], [0, 80], [50, 100]]},
                    },
                    {
                        "key": "seats",
                        "label": "Active seats",
                        "input_key": "seats",
                        "unit": "share",
                        "weight": 1,
                        "bands": {"kind": "step", "points": [[0, 20], [0.5, 60], [0.8, 100]]},
                    },
                ],
            },
            {"key": "sentiment", "label": "Sentiment", "weight": 40, "measures": [nps]},
        ],
    }


@pytest.fixture
def card():
    return Scorecard.from_dict(three_measure_dict())


def test_three_measures_by_hand(card):
    # trend -25: linear between (-50, 0) and (0, 80) -> 0 + 25/50 * 80 = 40
    # seats 0.6: step band [0.5, 0.8) -> 60
    # nps 7: linear (0,0)-(10,100) -> 70
    # score = 0.4*40 + 0.2*60 + 0.4*70 = 16 + 12 + 28 = 56.0 -> yellow (40 <= 56 < 70)
    r = score_inputs(card, {"trend": -25, "seats": 0.6, "nps": 7})
    assert r.score == 56.0 and r.computed_score == 56.0
    assert r.band == "yellow"
    assert [m.score for m in r.measures] == [40.0, 60.0, 70.0]
    assert [m.contribution for m in r.measures] == [16.0, 12.0, 28.0]
    assert [m.effective_weight for m in r.measures] == [0.4, 0.2, 0.4]
    assert all(m.status == SCORED for m in r.measures)
    assert r.coverage == 1.0 and r.confidence == "high"
    assert r.missing_inputs == ()
    usage = r.group("usage")
    # usage group score = (2*40 + 1*60) / 3 = 46.666.. -> 46.7; contribution 16 + 12 = 28
    assert usage.score == 46.7 and usage.contribution == 28.0 and usage.effective_weight == 0.6
    assert r.measure("seats").band.label == ">= 0.5 and < 0.8"
    assert r.measure("trend").band.label == "between -50 and 0"


def test_missing_measure_is_dropped_and_weights_renormalised(card):
    # nps missing -> sentiment group has no data -> usage group takes 100 %:
    # trend 2/3, seats 1/3; score = 2/3*40 + 1/3*60 = 26.667 + 20 = 46.667 -> 46.7
    r = score_inputs(card, {"trend": -25, "seats": 0.6, "nps": None})
    assert r.score == 46.7 and r.band == "yellow"
    nps = r.measure("nps")
    assert nps.status == MISSING_DROPPED and nps.missing_reason == "null"
    assert nps.effective_weight == 0.0 and nps.contribution == 0.0 and nps.score is None
    assert r.measure("trend").effective_weight == pytest.approx(0.6667)
    assert r.measure("seats").effective_weight == pytest.approx(0.3333)
    # Contributions 26.67 + 20.00 = 46.67: the score at two decimals (46.7 displayed).
    assert r.measure("trend").contribution == 26.67
    assert r.measure("seats").contribution == 20.0
    assert sum(m.contribution for m in r.measures) == pytest.approx(46.7, abs=0.05)
    # coverage = configured weight present = 0.4 + 0.2 = 0.6 -> medium
    assert r.coverage == 0.6 and r.confidence == "medium"
    assert r.missing_inputs == ("nps",)
    assert r.group("sentiment").score is None and r.group("sentiment").effective_weight == 0


def test_renormalisation_within_group_keeps_group_share(card):
    # seats missing -> trend takes all of usage (0.6): 0.6*40 + 0.4*70 = 24 + 28 = 52.0
    r = score_inputs(card, {"trend": -25, "nps": 7})
    assert r.score == 52.0
    assert r.measure("seats").missing_reason == "absent"
    assert r.measure("trend").effective_weight == 0.6
    assert r.coverage == 0.8 and r.confidence == "high"


def test_fixed_policy_is_recorded_as_imputed():
    card = Scorecard.from_dict(three_measure_dict({"policy": "fixed", "score": 50}))
    # 0.4*40 + 0.2*60 + 0.4*50 = 16 + 12 + 20 = 48.0
    r = score_inputs(card, {"trend": -25, "seats": 0.6})
    nps = r.measure("nps")
    assert r.score == 48.0
    assert nps.status == MISSING_FIXED and nps.imputed is True and nps.score == 50.0
    assert nps.contribution == 20.0 and nps.missing_reason == "absent"
    assert r.imputed_measures == ("nps",) and r.missing_inputs == ("nps",)
    # Imputed weight does not count as coverage: 0.6 present.
    assert r.coverage == 0.6 and r.confidence == "medium"


def test_all_missing_is_unknown_never_neutral(card):
    r = score_inputs(card, {})
    assert r.score is None and r.computed_score is None
    assert r.band == "unknown" and r.coverage == 0.0 and r.confidence == "low"
    assert all(m.contribution == 0 and m.status == MISSING_DROPPED for m in r.measures)
    assert r.missing_inputs == ("trend", "seats", "nps")
    assert json.loads(json.dumps(r.to_dict()))["score"] is None


def test_only_imputed_data_scores_but_with_zero_coverage():
    card = Scorecard.from_dict(three_measure_dict({"policy": "fixed", "score": 50}))
    r = score_inputs(card, {})
    assert r.score == 50.0 and r.coverage == 0.0 and r.confidence == "low"


def test_invalid_and_wrong_type_inputs_are_missing_not_zero(card):
    r = score_inputs(card, {"trend": float("nan"), "seats": True, "nps": "seven"})
    assert r.score is None
    assert {m.missing_reason for m in r.measures} == {"invalid"}
    assert r.measure("trend").raw_input == "nan"  # JSONB-safe
    json.dumps(r.to_dict(), allow_nan=False)


def test_numeric_strings_and_decimals_are_accepted(card):
    from decimal import Decimal

    r = score_inputs(card, {"trend": "-25", "seats": Decimal("0.6"), "nps": 7})
    assert r.score == 56.0


@pytest.mark.parametrize(
    ("seats", "expected", "label"),
    [
        (0.5, 60.0, ">= 0.5 and < 0.8"),  # exactly on a threshold: the upper band
        (0.4999, 20.0, ">= 0 and < 0.5"),  # just below
        (0.5001, 60.0, ">= 0.5 and < 0.8"),  # just above
        (0.8, 100.0, ">= 0.8"),
        (5.0, 100.0, ">= 0.8"),
        (-0.1, 20.0, "< 0 (below the first band, scored as it)"),
    ],
)
def test_step_band_edges(card, seats, expected, label):
    m = score_inputs(card, {"seats": seats}).measure("seats")
    assert m.score == expected and m.band.label == label


@pytest.mark.parametrize(
    ("trend", "expected", "index"),
    [
        (-25, 40.0, 0),  # midpoint of (-50, 0) -> (0, 80)
        (0, 80.0, 1),  # exactly on an inner point: the segment starting there
        (25, 90.0, 1),  # midpoint of (0, 80) -> (50, 100)
        (-50, 0.0, 0),
        (-80, 0.0, 0),  # clamped below
        (50, 100.0, 2),
        (400, 100.0, 2),  # clamped above
    ],
)
def test_linear_band_interpolation_and_clamping(card, trend, expected, index):
    m = score_inputs(card, {"trend": trend}).measure("trend")
    assert m.score == expected and m.band.index == index


def _single_measure_card():
    return Scorecard.from_dict(
        {
            "key": "one",
            "version": 1,
            "groups": [
                {
                    "key": "g",
                    "label": "G",
                    "weight": 1,
                    "measures": [
                        {
                            "key": "x",
                            "label": "X",
                            "input_key": "x",
                            "weight": 1,
                            "bands": {"kind": "linear", "points": [[0, 0], [100, 100]]},
                        }
                    ],
                }
            ],
        }
    )


@pytest.mark.parametrize(
    ("x", "band"),
    [(70, "green"), (69.94, "yellow"), (69.95, "green"), (40, "yellow"), (39.9, "red"), (0, "red")],
)
def test_overall_band_edges_use_the_displayed_score(x, band):
    # 69.95 displays as 70.0 and is therefore green: the band never contradicts the number.
    r = score_inputs(_single_measure_card(), {"x": x})
    assert r.band == band


def test_score_bands_are_configurable():
    assert ScoreBands(80, 50).band_for(79.9) == "yellow"
    assert ScoreBands(80, 50).band_for(None) == "unknown"


def test_categorical_measure_and_unknown_category():
    card = default_scorecard()
    hit = score_inputs(card, {"payment_status": " Late "}).measure("payment_status")
    assert hit.score == 40.0 and hit.value == "late" and hit.band.label == "late"
    miss = score_inputs(card, {"payment_status": "unknown"}).measure("payment_status")
    assert miss.status == MISSING_DROPPED and miss.missing_reason == "unrecognised"


# --- validation ------------------------------------------------------------------------


def _issues(data):
    return {(i.path, i.code) for i in validate_scorecard(data)}


def test_validation_reports_paths_and_codes():
    data = three_measure_dict()
    usage = data["groups"][0]["measures"]
    usage[0]["bands"]["points"] = [[-50, 0], [0, 80], [0, 100]]  # not increasing
    usage[1]["weight"] = -1
    usage[1]["bands"]["points"][1][1] = 120
    data["groups"][1]["measures"][0]["missing"] = {"policy": "impute_mean"}
    data["groups"][1]["measures"][0]["key"] = "trend"  # duplicate of usage[0]
    issues = _issues(data)
    assert issues == {
        ("groups[0].measures[0].bands.points[2][0]", "non_monotone_thresholds"),
        ("groups[0].measures[1].weight", "negative_weight"),
        ("groups[0].measures[1].bands.points[1][1]", "score_out_of_range"),
        ("groups[1].measures[0].missing.policy", "unknown_policy"),
        ("groups[1].measures[0].key", "duplicate_key"),
    }


def test_validation_all_weights_zero_and_structure():
    data = three_measure_dict()
    for g in data["groups"]:
        g["weight"] = 0
    assert ("groups", "all_weights_zero") in _issues(data)

    data = three_measure_dict()
    for m in data["groups"][0]["measures"]:
        m["weight"] = 0
    assert ("groups[0].measures", "all_weights_zero") in _issues(data)

    data = three_measure_dict()
    data["groups"][0]["measures"][0]["bands"] = {"kind": "linear", "points": [[0, 1]]}
    data["groups"][1]["measures"][0]["bands"] = {"kind": "spline", "points": []}
    data["groups"][1]["key"] = "usage"
    data["version"] = 0
    assert _issues(data) == {
        ("groups[0].measures[0].bands.points", "too_few_points"),
        ("groups[1].measures[0].bands.kind", "unknown_kind"),
        ("groups[1].key", "duplicate_key"),
        ("version", "type"),
    }
    assert _issues([]) == {("", "type")}


def test_validation_fixed_policy_score_and_categorical_table():
    data = three_measure_dict({"policy": "fixed", "score": 150})
    data["groups"][0]["measures"][1]["bands"] = {
        "kind": "categorical",
        "scores": {"current": 100, "Current": 90},
    }
    assert _issues(data) == {
        ("groups[1].measures[0].missing.score", "score_out_of_range"),
        ("groups[0].measures[1].bands.scores.Current", "duplicate_key"),
    }


def test_invalid_definition_raises_with_issues_and_code_built_objects_are_checked(card):
    data = three_measure_dict()
    data["groups"][0]["weight"] = -5
    with pytest.raises(ScorecardValidationError) as exc:
        Scorecard.from_dict(data)
    assert [i.to_dict()["path"] for i in exc.value.issues] == ["groups[0].weight"]
    import dataclasses

    with pytest.raises(ScorecardValidationError):
        dataclasses.replace(card, version=0)


def test_definition_round_trips_through_json(card):
    data = json.loads(json.dumps(card.to_dict()))
    assert Scorecard.from_dict(data) == card
    assert card.input_keys() == ["trend", "seats", "nps"]


# --- default scorecard -----------------------------------------------------------------


DEFAULT_INPUT_KEYS = [
    "usage_trend_pct",
    "active_user_share",
    "feature_breadth",
    "tickets_per_100_seats_90d",
    "high_severity_ticket_share_90d",
    "sla_breaches_90d",
    "nps_answer_avg_180d",
    "csat_avg_180d",
    "payment_status",
    "onboarding_progress",
    "days_since_last_activity",
]


def test_default_scorecard_is_valid_and_documented():
    card = default_scorecard()
    assert (card.key, card.version) == ("default", 2)
    assert validate_scorecard(default_scorecard_dict()) == []
    assert card.input_keys() == DEFAULT_INPUT_KEYS
    assert sum(card.configured_weights().values()) == pytest.approx(1.0)
    specs = default_input_specs()
    # days_to_renewal is documented too: still aggregated for operator scorecards.
    assert list(specs) == [*DEFAULT_INPUT_KEYS, "days_to_renewal"]
    assert all(len(s["description"]) > 40 for s in specs.values())
    assert "NOT the Net Promoter Score" in specs["nps_answer_avg_180d"]["description"]


def test_default_scorecard_has_no_renewal_proximity_but_an_operator_may_add_it():
    card = default_scorecard()
    assert "renewal_proximity" not in {m.key for _, m in card.measures()}
    # Commercial is payment status alone: 15/100 of the weight.
    assert card.configured_weights()["payment_status"] == pytest.approx(0.15)
    # A date coming closer no longer moves health: same inputs, any renewal date.
    base = {"usage_trend_pct": 0.0, "active_user_share": 0.5, "payment_status": "current"}
    assert (
        score_inputs(card, base | {"days_to_renewal": 10}).score
        == score_inputs(card, base | {"days_to_renewal": 400}).score
    )
    data = default_scorecard_dict() | {"key": "with-proximity", "version": 1}
    commercial = next(g for g in data["groups"] if g["key"] == "commercial")
    commercial["measures"].append(renewal_proximity_measure())
    custom = Scorecard.from_dict(data)
    # payment 60, proximity 40 within commercial (15): proximity = 0.15 x 0.4 = 0.06.
    assert custom.configured_weights()["renewal_proximity"] == pytest.approx(0.06)
    near = score_inputs(custom, {"days_to_renewal": 10}).measure("renewal_proximity")
    far = score_inputs(custom, {"days_to_renewal": 400}).measure("renewal_proximity")
    assert (near.score, far.score) == (30.0, 100.0)
    past = score_inputs(custom, {"days_to_renewal": -3}).measure("renewal_proximity")
    assert past.score == 0.0 and past.band.label == "< 0"


def test_default_scorecard_healthy_vs_at_risk():
    card = default_scorecard()
    healthy = {
        "usage_trend_pct": 8.0,
        "active_user_share": 0.85,
        "feature_breadth": 0.5,
        "tickets_per_100_seats_90d": 2.0,
        "high_severity_ticket_share_90d": 0.0,
        "sla_breaches_90d": 0,
        "nps_answer_avg_180d": 9.0,
        "csat_avg_180d": 4.7,
        "payment_status": "current",
        "days_to_renewal": 250,
        "onboarding_progress": 1.0,
        "days_since_last_activity": 2,
    }
    at_risk = {
        "usage_trend_pct": -45.0,
        "active_user_share": 0.15,
        "feature_breadth": 0.08,
        "tickets_per_100_seats_90d": 35.0,
        "high_severity_ticket_share_90d": 0.3,
        "sla_breaches_90d": 4,
        "nps_answer_avg_180d": 5.0,
        "csat_avg_180d": 3.1,
        "payment_status": "delinquent",
        "days_to_renewal": -3,
        "onboarding_progress": 1.0,
        "days_since_last_activity": 40,
    }
    good, bad = score_inputs(card, healthy), score_inputs(card, at_risk)
    assert good.band == "green" and good.coverage == 1.0
    assert bad.band == "red" and bad.score < good.score


# --- result serialisation ---------------------------------------------------------------


def test_result_to_dict_shape_and_round_trip(card):
    r = score_inputs(card, {"trend": -25, "seats": 0.6})
    data = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert set(data) == {
        "schema", "scorecard", "score", "band", "computed_score", "computed_band", "coverage",
        "confidence", "score_bands", "missing_inputs", "imputed_measures", "groups",
        "measures", "override",
    }  # fmt: skip
    assert data["scorecard"] == {"key": "test", "version": 1}
    assert set(data["measures"][0]) == {
        "key", "label", "group", "input_key", "unit", "raw_input", "value", "score", "status",
        "missing_reason", "imputed", "configured_weight", "effective_weight", "contribution",
        "band",
    }  # fmt: skip
    assert ScoreResult.from_dict(data) == r


# --- overrides ---------------------------------------------------------------------------

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_active_override_replaces_displayed_score_only(card):
    r = score_inputs(card, {"trend": -25, "seats": 0.6, "nps": 7})  # 56.0 yellow
    ov = Override(85, "Exec sponsor confirmed renewal", "alice", expires_at=NOW + timedelta(days=7))
    out = apply_override(r, ov, NOW)
    assert (out.score, out.band) == (85.0, "green")
    assert (out.computed_score, out.computed_band) == (56.0, "yellow")
    assert out.override.status == "active" and out.override.applied
    assert sum(m.contribution for m in out.measures) == pytest.approx(56.0)
    assert r.score == 56.0  # the input result is untouched
    data = json.loads(json.dumps(out.to_dict()))
    assert data["override"]["reason"] == "Exec sponsor confirmed renewal"
    assert ScoreResult.from_dict(data) == out


def test_expired_override_is_ignored_and_says_so(card):
    r = score_inputs(card, {"trend": -25, "seats": 0.6, "nps": 7})
    ov = Override(85, "Temporary", "alice", expires_at=NOW)
    out = apply_override(r, ov, NOW)  # expiry is exclusive: at == expires_at is expired
    assert (out.score, out.band) == (56.0, "yellow")
    assert out.override.status == "expired" and out.override.applied is False
    assert apply_override(r, ov, NOW - timedelta(seconds=1)).override.applied


def test_override_never_expiring_revoked_and_not_yet_active(card):
    r = score_inputs(card, {})
    forever = apply_override(r, Override(30, "Known escalation", "bob"), NOW)
    assert (forever.score, forever.band, forever.computed_band) == (30.0, "red", "unknown")
    revoked = Override(30, "x", "bob", revoked_at=NOW - timedelta(hours=1))
    assert apply_override(r, revoked, NOW).override.status == "revoked"
    future = Override(30, "x", "bob", created_at=NOW + timedelta(hours=1))
    assert apply_override(r, future, NOW).override.status == "not_yet_active"
    assert apply_override(forever, None, NOW).score is None


def test_override_rejects_bad_input():
    with pytest.raises(ValueError):
        Override(101, "too high", "a")
    with pytest.raises(ValueError):
        Override(50, "  ", "a")
    naive = Override(50, "r", "a", expires_at=datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        apply_override(score_inputs(_single_measure_card(), {"x": 1}), naive, NOW)


def test_band_is_insufficient_data_below_the_coverage_floor(card):
    # trend -25 alone: coverage 0.4 (< 0.6 default floor). The number is kept — the usage
    # group takes 100 %: trend 40 — but it is no verdict.
    r = score_inputs(card, {"trend": -25})
    assert r.score == 40.0 and r.coverage == 0.4
    assert r.band == r.computed_band == "insufficient_data"
    assert r.missing_inputs == ("seats", "nps")
    # trend + seats: coverage 0.4 + 0.2 = 0.6, exactly the floor -> a verdict:
    # 2/3*40 + 1/3*60 = 46.7 -> yellow.
    assert score_inputs(card, {"trend": -25, "seats": 0.6}).band == "yellow"


def test_coverage_floor_is_configurable_per_scorecard():
    data = three_measure_dict()
    data["score_bands"]["min_coverage"] = 0.3
    card = Scorecard.from_dict(data)
    assert card.score_bands.min_coverage == 0.3
    assert score_inputs(card, {"trend": -25}).band == "yellow"  # 0.4 >= 0.3; 40 >= 40
    assert ScoreBands(70, 40, 0.5).band_for(90, 0.49) == "insufficient_data"
    assert ScoreBands(70, 40, 0.5).band_for(None, 0.0) == "unknown"
    data["score_bands"]["min_coverage"] = 1.5
    issues = validate_scorecard(data)
    assert [(i.path, i.code) for i in issues] == [
        ("score_bands.min_coverage", "invalid_thresholds")
    ]


def test_an_override_keeps_its_band_when_data_is_thin(card):
    at = datetime(2026, 3, 1, tzinfo=UTC)
    thin = score_inputs(card, {"trend": -25})
    o = Override(score=85, reason="Exec sponsor confirmed renewal", author="csm")
    r = apply_override(thin, o, at)
    assert r.band == "green" and r.computed_band == "insufficient_data"


def test_a_new_account_on_the_default_scorecard_is_insufficient_data_not_green():
    # Registered today: only engagement recency (0 days -> 100) is known. Its configured
    # weight is engagement 15/100 x recency 50/100 = 0.075; the group takes all the
    # weight, so the score is 100 — yet with 7.5 % coverage it is no health verdict.
    r = score_inputs(default_scorecard(), {"days_since_last_activity": 0})
    assert r.score == 100.0 and r.coverage == 0.075
    assert r.band == "insufficient_data" and r.confidence == "low"
