"""Property tests: for any inputs the score is bounded and its contributions add up."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from health.scoring import (
    Scorecard,
    ScoreResult,
    default_scorecard,
    explain_change,
    score_inputs,
)

CARD = default_scorecard()

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
numeric_input = st.one_of(st.none(), finite, st.integers(-1000, 1000), st.just(float("nan")))
payment = st.one_of(st.none(), st.sampled_from(["current", "late", "delinquent", "LATE", "?"]))


@st.composite
def default_inputs(draw):
    inputs = {}
    for key in CARD.input_keys():
        if draw(st.booleans()):  # sometimes the key is absent altogether
            inputs[key] = draw(payment if key == "payment_status" else numeric_input)
    return inputs


def check_invariants(result):
    measures_total = sum(m.contribution for m in result.measures)
    if result.score is None:
        assert result.band == "unknown" and measures_total == 0
    else:
        assert 0 <= result.score <= 100
        assert abs(measures_total - result.score) <= 0.05 + 1e-9
        assert abs(sum(m.effective_weight for m in result.measures) - 1) < 1e-3
        assert abs(sum(g.contribution for g in result.groups) - measures_total) < 1e-6
    assert 0 <= result.coverage <= 1
    assert all(m.contribution >= 0 for m in result.measures)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert ScoreResult.from_dict(data) == result


@settings(max_examples=300, deadline=None)
@given(default_inputs())
def test_default_scorecard_invariants(inputs):
    check_invariants(score_inputs(CARD, inputs))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 10), min_size=2, max_size=2).filter(any),
    st.integers(0, 10),
    st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=3, max_size=3),
    st.one_of(st.none(), st.floats(0, 100)),
)
def test_random_weights_and_fixed_policy(weights_a, weight_b, values, fixed_score):
    # Group b's weight is 0 when its only measure has weight 0 (validation requires a group
    # with positive weight to hold a positively weighted measure).
    weights = [*weights_a, weight_b]
    missing = (
        {"policy": "drop"} if fixed_score is None else {"policy": "fixed", "score": fixed_score}
    )
    measures = [
        {
            "key": f"m{i}",
            "label": f"M{i}",
            "input_key": f"x{i}",
            "weight": w,
            "bands": {"kind": "linear", "points": [[0, 0], [0.37, 55.5], [1, 100]]},
            "missing": missing,
        }
        for i, w in enumerate(weights)
    ]
    card = Scorecard.from_dict(
        {
            "key": "p",
            "version": 1,
            "groups": [
                {"key": "a", "label": "A", "weight": 3, "measures": measures[:2]},
                {
                    "key": "b",
                    "label": "B",
                    "weight": 7 if weight_b else 0,
                    "measures": measures[2:],
                },
            ],
        }
    )
    result = score_inputs(card, {f"x{i}": v for i, v in enumerate(values)})
    check_invariants(result)


@settings(max_examples=100, deadline=None)
@given(default_inputs(), default_inputs())
def test_explanation_attributes_the_whole_change(before, after):
    e = explain_change(score_inputs(CARD, before).to_dict(), score_inputs(CARD, after).to_dict())
    if e.computed_delta is not None:
        attributed = sum(m.contribution_delta for m in e.measures)
        assert abs(e.computed_delta - attributed) <= 0.1 + 1e-9
        assert abs(e.rounding_residual) <= 0.1 + 1e-9
    json.dumps(e.to_dict(), allow_nan=False)
