"""The compiled fast path must agree exactly with the reference engine (pure, no database)."""

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from health.scoring import Override, apply_override, default_scorecard, score_inputs
from health.scoring.compiled import CompiledScorecard
from health.scoring.definitions import Scorecard
from health.scoring.platt import PlattScaling
from health.scoring.stored import STORED_SCHEMA, result_compact, result_expand

CARD = default_scorecard()
COMPILED = CompiledScorecard(CARD)
AT = datetime(2026, 1, 10, tzinfo=UTC)

numbers = st.one_of(
    st.none(),
    st.integers(min_value=-1000, max_value=1000),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0, 0.0, -50, 15, 0.2, 0.5, 0.8, 90, 180, "12.5", "abc", True]),
)
payment = st.one_of(st.none(), st.sampled_from(["current", " Late ", "DELINQUENT", "weird", 3]))


@st.composite
def inputs(draw):
    data = {}
    for key in CARD.input_keys():
        if draw(st.booleans()) and draw(st.booleans()):
            continue  # absent key
        data[key] = draw(payment if key == "payment_status" else numbers)
    return data


overrides = st.sampled_from(
    [
        None,
        Override(score=55, reason="exec sponsor left", author="csm1",
                 expires_at=AT + timedelta(days=3), created_at=AT - timedelta(days=1),
                 override_id=7),
        Override(score=12.25, reason="escalation", author="csm2",
                 expires_at=AT - timedelta(days=1), override_id=8),
        Override(score=80, reason="r", author="a", revoked_at=AT - timedelta(hours=1),
                 override_id=9),
    ]
)  # fmt: skip


def reference(card, data, override):
    return apply_override(score_inputs(card, data), override, AT).to_dict()


@settings(max_examples=400, deadline=None)
@given(data=inputs(), override=overrides)
def test_compiled_result_equals_reference_engine(data, override):
    fast = COMPILED.score(data, override, AT)
    expected = reference(CARD, data, override)
    stored = json.loads(fast.result_json)
    assert stored == result_compact(expected)
    assert result_expand(stored, CARD) == expected
    assert fast.score == expected["score"]
    assert fast.computed_score == expected["computed_score"]
    assert fast.band == expected["band"]
    assert fast.coverage == expected["coverage"]
    assert fast.confidence == expected["confidence"]


def test_fixed_missing_policy_and_zero_weight_measures_agree():
    definition = CARD.to_dict()
    definition["groups"][0]["measures"][0]["missing"] = {"policy": "fixed", "score": 35}
    definition["groups"][1]["measures"][2]["weight"] = 0
    definition["groups"][2]["weight"] = 0
    card = Scorecard.from_dict(definition)
    compiled = CompiledScorecard(card)
    for data in (
        {},
        {"nps_answer_avg_180d": 9, "sla_breaches_90d": 2},
        {"usage_trend_pct": None, "payment_status": "late", "days_to_renewal": -3},
        {"high_severity_ticket_share_90d": 0.3, "csat_avg_180d": 4.2},
    ):
        got = json.loads(compiled.score(data).result_json)
        assert result_expand(got, card) == reference(card, data, None)


def test_no_data_is_unknown_not_fifty():
    fast = COMPILED.score({})
    assert fast.score is None and fast.computed_score is None
    assert fast.band == "unknown" and fast.coverage == 0.0 and fast.confidence == "low"


churn_values = st.one_of(
    st.none(),
    st.floats(min_value=-500, max_value=1000, allow_nan=False),
    st.integers(min_value=-200, max_value=500),
    st.sampled_from(["current", "late", "delinquent", "Late ", "weird", "7", 1, 2, 5]),
)


@settings(max_examples=400, deadline=None)
@given(
    data=st.dictionaries(
        st.sampled_from(
            ["health_score", "usage_trend_pct", "days_to_renewal", "open_high_severity_tickets",
             "nps_answer_avg_180d", "days_since_last_activity", "payment_status"]
        ),
        churn_values,
    ),
    calibration=st.one_of(
        st.none(),
        st.builds(
            PlattScaling,
            slope=st.floats(min_value=0.01, max_value=5),
            intercept=st.floats(min_value=-5, max_value=5),
            version=st.integers(min_value=1, max_value=9),
        ),
    ),
)  # fmt: skip
def test_compiled_churn_equals_reference(data, calibration):
    from health.scoring import churn_risk_predict
    from health.scoring.compiled_churn import churn_predict_compact
    from health.services.scoring.churn import factors_stored

    reference = churn_risk_predict(data, calibration)
    probability, level, coverage, factors, raw = churn_predict_compact(data, calibration)
    assert (probability, level, coverage, raw) == (
        reference.probability, reference.risk_level, reference.coverage,
        reference.raw_probability,
    )  # fmt: skip
    assert json.loads(factors) == factors_stored(reference)


def test_stored_form_is_compact_and_carries_no_scorecard_text():
    data = {"usage_trend_pct": -12.5, "active_user_share": 0.4, "payment_status": "Late "}
    stored = json.loads(COMPILED.score(data, None, AT).result_json)
    assert stored["schema"] == STORED_SCHEMA
    assert len(stored["measures"]) == len(list(CARD.measures()))
    text = json.dumps(stored)
    # Labels, units and score bands come from the scorecard version on reading.
    for measure in (m for _, m in CARD.measures()):
        assert measure.label not in text
    assert "score_bands" not in text
    assert len(text) < 1200
    full = result_expand(stored, CARD)
    usage = next(m for m in full["measures"] if m["input_key"] == "usage_trend_pct")
    assert usage["raw_input"] == -12.5 and usage["band"]["label"]
    payment = next(m for m in full["measures"] if m["input_key"] == "payment_status")
    assert payment["value"] == "late" and payment["band"]["label"] == "late"


def test_expanding_against_the_wrong_scorecard_is_refused():
    import pytest

    from health.scoring.stored import StoredResultMismatch

    definition = CARD.to_dict()
    definition["groups"][0]["measures"] = definition["groups"][0]["measures"][:1]
    smaller = Scorecard.from_dict(definition)
    stored = json.loads(COMPILED.score({}, None, AT).result_json)
    with pytest.raises(StoredResultMismatch):
        result_expand(stored, smaller)


def test_a_full_document_stored_earlier_is_read_unchanged():
    full = reference(CARD, {"nps_answer_avg_180d": 8}, None)
    assert result_expand(full, CARD) == full
