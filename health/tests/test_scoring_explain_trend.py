"""Change explanation and trend, from stored result dicts. No Django, no database."""

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from health.scoring import (
    Override,
    Scorecard,
    apply_override,
    direction_label,
    explain_change,
    score_inputs,
    score_trend,
)


def card_dict(version=1, with_seats=True, with_csat=False):
    """usage (30): trend w1, seats w1 -> 0.15 each; sentiment (70): nps (and csat) -> 0.7."""
    usage = [
        {
            "key": "usage_trend",
            "label": "Usage trend",
            "input_key": "usage_trend_pct",
            "unit": "%",
            "weight": 1,
            # +5 % -> 80 and -32 % -> 20 exactly, to match the hand-written reason below.
            "bands": {"kind": "linear", "points": [[-50, 0], [-32, 20], [5, 80], [20, 100]]},
        }
    ]
    if with_seats:
        usage.append(
            {
                "key": "seats",
                "label": "Active seats",
                "input_key": "seats",
                "unit": "share",
                "weight": 1,
                "bands": {"kind": "step", "points": [[0, 20], [0.5, 60], [0.8, 100]]},
            }
        )
    sentiment = [
        {
            "key": "nps",
            "label": "NPS answer",
            "input_key": "nps",
            "unit": "0-10",
            "weight": 1,
            "bands": {"kind": "linear", "points": [[0, 0], [10, 100]]},
        }
    ]
    if with_csat:
        sentiment.append(
            {
                "key": "csat",
                "label": "CSAT",
                "input_key": "csat",
                "unit": "1-5",
                "weight": 1,
                "bands": {"kind": "linear", "points": [[1, 0], [5, 100]]},
            }
        )
    return {
        "key": "t",
        "version": version,
        "groups": [
            {"key": "usage", "label": "Usage", "weight": 30, "measures": usage},
            {"key": "sentiment", "label": "Sentiment", "weight": 70, "measures": sentiment},
        ],
    }


CARD = Scorecard.from_dict(card_dict())
PREV = {"usage_trend_pct": 5.0, "seats": 0.6, "nps": 7}


def stored(inputs, card=CARD):
    """What a snapshot stores: the JSON round trip of to_dict()."""
    return json.loads(json.dumps(score_inputs(card, inputs).to_dict()))


def test_usage_drop_is_ranked_first_with_reason():
    # before: 0.15*80 + 0.15*60 + 0.7*70 = 12 + 9 + 49 = 70.0 (green)
    # after:  0.15*20 + 0.15*60 + 0.7*80 =  3 + 9 + 56 = 68.0 (yellow)
    e = explain_change(stored(PREV), stored({**PREV, "usage_trend_pct": -32.0, "nps": 8}))
    assert (e.score_before, e.score_after, e.score_delta) == (70.0, 68.0, -2.0)
    assert (e.band_before, e.band_after) == ("green", "yellow")
    assert [m.key for m in e.measures] == ["usage_trend", "nps", "seats"]
    top = e.measures[0]
    assert top.change == "input_changed"
    assert (top.input_before, top.input_after) == (5.0, -32.0)
    assert (top.score_before, top.score_after) == (80.0, 20.0)
    assert top.contribution_delta == -9.0
    assert (
        top.reason
        == "Usage trend fell from +5.0% to -32.0%: measure 80 \u2192 20, \u22129.0 points"
    )
    assert e.measures[1].reason == "NPS answer rose from 7 to 8: measure 70 \u2192 80, +7.0 points"
    assert e.measures[2].change == "unchanged" and e.measures[2].contribution_delta == 0
    assert e.rounding_residual == 0.0
    assert e.summary.startswith("Health fell 2 points (70 \u2192 68, green \u2192 yellow).")
    assert "Usage trend \u22129.0" in e.summary
    assert not e.scorecard_changed and e.override_change["kind"] == "none"
    json.dumps(e.to_dict(), allow_nan=False)


def test_data_becoming_missing_is_explained_and_reweighting_attributed():
    # after: nps missing -> usage takes 100 %: 0.5*20 + 0.5*60 = 40.0; delta -30.0
    # nps 49 -> 0 (-49), trend 12 -> 10 (-2), seats 9 -> 30 (+21): -49 - 2 + 21 = -30
    e = explain_change(stored(PREV), stored({"usage_trend_pct": -32.0, "seats": 0.6}))
    assert e.score_delta == -30.0
    # Raw contributions still account for the whole change; the measures scored at both
    # dates (trend, seats: usage group alone, 1/2 each) come first, ranked like with like:
    # before 0.5*80 + 0.5*60 = 70, after 0.5*20 + 0.5*60 = 40; trend 0.5*(20-80) = -30.
    assert [(m.key, m.contribution_delta, m.like_delta) for m in e.measures] == [
        ("usage_trend", -2.0, -30.0),
        ("seats", 21.0, 0.0),
        ("nps", -49.0, None),
    ]
    assert (e.comparable_before, e.comparable_after, e.comparable_delta) == (70.0, 40.0, -30.0)
    assert e.comparable_measures == ["usage_trend", "seats"]
    assert e.no_longer_measured == ["nps"] and e.newly_measured == []
    nps, seats = e.measures[2], e.measures[1]
    assert nps.change == "became_missing" and e.disappeared == ["nps"] and e.appeared == []
    assert nps.reason == (
        "NPS answer is now missing (no data; was 7): dropped, its weight went to the other "
        "measures, \u221249.0 points"
    )
    assert seats.change == "weight_changed"
    assert seats.reason == (
        "Active seats unchanged at 60% but its weight moved 15% \u2192 50% as other data "
        "changed: +21.0 points"
    )
    # The vanished measure is named apart, never as a driver.
    assert "Main drivers: Usage trend \u221230.0." in e.summary
    assert "No longer measured (not a driver): NPS answer." in e.summary
    assert "Over the 2 measures scored at both dates: 70 \u2192 40." in e.summary
    assert (e.coverage_before, e.coverage_after, e.coverage_delta) == (1.0, 0.3, -0.7)
    assert (e.confidence_before, e.confidence_after) == ("high", "low")
    # And back: the measure appears again.
    back = explain_change(stored({"usage_trend_pct": -32.0, "seats": 0.6}), stored(PREV))
    assert back.appeared == ["nps"] and back.newly_measured == ["nps"]
    assert back.measures[-1].change == "became_present"
    assert "Newly measured (not a driver): NPS answer." in back.summary
    assert "Main drivers: Usage trend +30.0." in back.summary  # -32 % -> +5 %
    assert "NPS answer +" not in back.summary


def test_scorecard_version_change_is_flagged():
    v2 = Scorecard.from_dict(card_dict(version=2, with_seats=False, with_csat=True))
    e = explain_change(stored(PREV), stored({**PREV, "csat": 4.0}, card=v2))
    assert e.scorecard_changed
    assert (e.scorecard_before["version"], e.scorecard_after["version"]) == (1, 2)
    changes = {m.key: m.change for m in e.measures}
    assert changes["seats"] == "removed_from_scorecard"
    assert changes["csat"] == "added_to_scorecard"
    assert "Scorecard changed (v1 \u2192 v2)" in e.summary
    # after: 0.3*80 + 0.7*(70 + 75)/2 = 24 + 50.75 = 74.75, displayed 74.8: the 0.05 left
    # over by one-decimal display is reported, not hidden.
    assert (e.computed_delta, e.rounding_residual) == (4.8, 0.05)
    assert sum(m.contribution_delta for m in e.measures) == pytest.approx(4.75)


def test_override_changes_are_reported():
    now = datetime(2025, 6, 1, tzinfo=UTC)
    base = score_inputs(CARD, PREV)
    with_override = apply_override(base, Override(20, "Champion left", "carol"), now).to_dict()
    e = explain_change(base.to_dict(), with_override)
    assert e.override_change["kind"] == "added"
    assert e.score_delta == -50.0 and e.computed_delta == 0.0
    expiring = Override(20, "Champion left", "carol", expires_at=now + timedelta(days=1))
    later = apply_override(base, expiring, now + timedelta(days=2)).to_dict()
    assert explain_change(with_override, later).override_change["kind"] == "expired"


def test_explain_handles_unknown_scores():
    e = explain_change(stored({}), stored(PREV))
    assert e.score_delta is None and e.rounding_residual is None
    assert e.appeared == ["nps", "usage_trend", "seats"]  # ranked: +49, +12, +9
    assert "no comparable score" in e.summary


def test_explain_does_not_mutate_inputs():
    prev, curr = stored(PREV), stored({**PREV, "nps": 9})
    snapshot = copy.deepcopy((prev, curr))
    explain_change(prev, curr)
    assert (prev, curr) == snapshot


# --- trend --------------------------------------------------------------------------------

T0 = datetime(2025, 6, 1, tzinfo=UTC)


def days_ago(n):
    return T0 - timedelta(days=n)


def test_trend_uses_nearest_point_at_or_before_each_horizon():
    points = [
        (days_ago(100), 60.0),
        (days_ago(40), 70.0),
        (days_ago(35), None),  # no data that day: never used as a reference
        (days_ago(20), 65.0),
        (T0, 50.0),
    ]
    t = score_trend(reversed(points))  # any order
    w30, w90 = t.window(30), t.window(90)
    # 30 d: T0-30 -> nearest at/before is day -40 (70): 50 - 70 = -20
    assert (w30.delta, w30.reference_score, w30.direction) == (-20.0, 70.0, "declining")
    assert w30.reference_as_of == days_ago(40).isoformat()
    # 90 d: T0-90 -> day -100 (60): 50 - 60 = -10
    assert (w90.delta, w90.reference_score) == (-10.0, 60.0)
    assert (t.direction, t.direction_basis_days, t.current_score) == ("declining", 30, 50.0)
    json.dumps(t.to_dict())


def test_trend_point_exactly_on_horizon_counts_and_young_account_has_no_90d():
    t = score_trend([(days_ago(30), 60), (days_ago(10), 66), (T0, 62)])
    assert t.window(30).delta == 2.0 and t.window(30).direction == "stable"
    w90 = t.window(90)
    assert w90.delta is None and w90.reason == "no_point_old_enough"
    assert w90.direction == "unknown"


def test_trend_without_old_points_or_current_score():
    t = score_trend([(days_ago(5), 60), (T0, 70)])
    assert [w.delta for w in t.windows] == [None, None]
    assert t.direction == "unknown" and t.direction_basis_days is None
    t = score_trend([(days_ago(40), 60), (T0, None)])
    assert t.window(30).reason == "no_current_score"
    empty = score_trend([])
    assert empty.current_score is None and empty.window(30).reason == "no_points"


def test_trend_as_of_and_direction_fallback_to_longer_horizon():
    points = [(days_ago(120), 40), (days_ago(60), 45), (days_ago(1), 99), (T0, 100)]
    t = score_trend(points, as_of=days_ago(1), horizons_days=(30, 90))
    assert t.current_score == 99.0
    assert t.window(30).delta == 54.0 and t.direction == "improving"
    t = score_trend([(days_ago(120), 70), (T0, 60)], horizons_days=(30, 90))
    assert t.window(30).delta == -10.0  # a 120-day-old point is the nearest: its age is shown


def test_direction_label_threshold_and_naive_aware_mix():
    assert direction_label(5.0) == "improving" and direction_label(4.9) == "stable"
    assert direction_label(-5.0) == "declining" and direction_label(None) == "unknown"
    with pytest.raises(ValueError):
        score_trend([(datetime(2025, 1, 1), 50), (T0, 60)])
