"""The default scorecard (key ``default``, version 2), as data.

Each measure's ``description`` is the contract with the aggregation code: it says exactly
what to compute for ``input_key``. Two rules hold for every input:

* ``None`` means "we do not know" (no data source connected, no denominator, no survey
  answered) and follows the missing policy. It must never be sent as 0.
* 0 means a measured zero (the support desk is connected and there were no tickets).

Group weights (sum 100): usage 35, sentiment 20, support 15, commercial 15, onboarding and
engagement 15. Version 2 drops version 1's "Renewal proximity" measure from the commercial
group: a score fell because a date came closer, not because the customer changed. Proximity
is urgency, and risk lists rank by it (``health.scoring.urgency``); the ``days_to_renewal``
input is still computed, so an operator may put the measure back in a scorecard of their own
(``renewal_proximity_measure()``).

Usage leads because it is the earliest and most frequent signal of value (and of churn);
sentiment is strong but sparse (surveys are answered rarely); support and
commercial signals are lagging or binary; onboarding matters early in the lifecycle only
(finished accounts report 1.0, so it stops discriminating later).

All measures use the ``drop`` policy: a missing input is left out and reported, not guessed.
"""

from __future__ import annotations

from typing import Any

from health.scoring.definitions import Scorecard

DEFAULT_SCORECARD_KEY = "default"
DEFAULT_SCORECARD_VERSION = 2


def _m(
    key: str,
    label: str,
    input_key: str,
    unit: str,
    weight: float,
    bands: dict[str, Any],
    description: str,
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "input_key": input_key,
        "unit": unit,
        "weight": weight,
        "bands": bands,
        "missing": {"policy": "drop"},
        "description": description,
    }


def default_scorecard_dict() -> dict[str, Any]:
    """The default scorecard in its JSON form (what a ``Scorecard.definition`` stores)."""
    usage = [
        # ±10 % month over month is ordinary noise (holidays, month ends); -25 % is a real
        # drop worth a call; -50 % is near abandonment. Growth beyond +15 % saturates.
        _m(
            "usage_trend",
            "Usage trend",
            "usage_trend_pct",
            "%",
            40,
            {"kind": "linear", "points": [[-50, 0], [-25, 30], [-10, 60], [0, 80], [15, 100]]},
            "Percent change of active usage: sum of daily active users over the last 30 days "
            "(as_of-29d .. as_of) versus the 30 days before (as_of-59d .. as_of-30d), "
            "100 * (last - previous) / previous. -40.0 means a 40 % drop. None when the "
            "previous window has no usage (no baseline) or no usage source is connected.",
        ),
        # Under 20 % of seats active is shelfware and a contraction at renewal; 80 %+ is full
        # deployment. Above 1.0 (more users than seats) clamps at 100.
        _m(
            "active_user_share",
            "Active user share",
            "active_user_share",
            "share",
            35,
            {"kind": "linear", "points": [[0, 0], [0.2, 25], [0.5, 65], [0.8, 100]]},
            "Distinct users active in the last 30 days divided by licensed seats of the "
            "active contract (0..1, may exceed 1). None when seats are unknown or 0.",
        ),
        # Few customers use everything: 60 % of tracked features means the product is
        # embedded in several workflows; under 10 % it is a single-feature point solution.
        _m(
            "feature_breadth",
            "Feature breadth",
            "feature_breadth",
            "share",
            25,
            {"kind": "linear", "points": [[0, 0], [0.1, 20], [0.3, 60], [0.6, 100]]},
            "Distinct tracked features used at least once in the last 30 days divided by the "
            "number of tracked features of the product (0..1). None when no feature is tracked.",
        ),
    ]
    support = [
        # Steps, because ticket volume is lumpy: up to 5 per 100 seats per quarter is a
        # healthy product; 30+ means the account is fighting the product.
        _m(
            "ticket_load",
            "Support ticket load",
            "tickets_per_100_seats_90d",
            "per 100 seats",
            40,
            {"kind": "step", "points": [[0, 100], [5, 80], [15, 55], [30, 25], [60, 0]]},
            "Tickets created in the last 90 days * 100 / licensed seats. 0.0 when the support "
            "source is connected and there were no tickets; None when seats are unknown or "
            "no support source is connected.",
        ),
        # A quarter of tickets being urgent/high means outages or blockers, not questions.
        _m(
            "high_severity_share",
            "High-severity ticket share",
            "high_severity_ticket_share_90d",
            "share",
            30,
            {"kind": "linear", "points": [[0, 100], [0.1, 80], [0.25, 40], [0.5, 0]]},
            "Tickets created in the last 90 days with priority high or urgent divided by all "
            "tickets created in the last 90 days (0..1). 0.0 when there were no tickets (no "
            "severe ticket happened); None only when no support source is connected.",
        ),
        # Each SLA breach is a broken promise the customer remembers at renewal.
        _m(
            "sla_breaches",
            "SLA breaches",
            "sla_breaches_90d",
            "count",
            30,
            {"kind": "step", "points": [[0, 100], [1, 70], [3, 40], [6, 10]]},
            "Count of tickets created in the last 90 days whose first-response or resolution "
            "SLA target was breached. 0 when none; None when no SLA targets are tracked.",
        ),
    ]
    sentiment = [
        # The mean NPS *answer* (0..10), not the -100..100 NPS: it is defined for a single
        # respondent and moves smoothly. Mean <= 6 is detractor territory, 9+ promoters.
        _m(
            "nps_answer",
            "NPS answer (mean)",
            "nps_answer_avg_180d",
            "0-10",
            60,
            {"kind": "linear", "points": [[0, 0], [6, 30], [7.5, 65], [9, 100]]},
            "Mean of the 0-10 answers to the NPS question from this account's contacts in the "
            "last 180 days. This is NOT the Net Promoter Score (% promoters - % detractors, "
            "-100..100). None when nobody answered.",
        ),
        # CSAT 1..5: 4+ is 'satisfied' in the usual top-2-box reading; 3 is a warning.
        _m(
            "csat",
            "CSAT (mean)",
            "csat_avg_180d",
            "1-5",
            40,
            {"kind": "linear", "points": [[1, 0], [3, 35], [4, 70], [4.6, 100]]},
            "Mean CSAT answer (1..5) from this account's survey responses and rated tickets "
            "in the last 180 days. None when there is no answer.",
        ),
    ]
    commercial = [
        # Late is a warning (often process, not intent); delinquent is a strong churn signal.
        _m(
            "payment_status",
            "Payment status",
            "payment_status",
            "",
            60,
            {"kind": "categorical", "scores": {"current": 100, "late": 40, "delinquent": 0}},
            "Status of the account's invoices: 'current' (nothing overdue), 'late' (an invoice "
            "overdue 1-30 days), 'delinquent' (overdue more than 30 days). Any other value, "
            "or None, is missing.",
        ),
    ]
    engagement = [
        # Progress to go-live: the last milestones (integration, launch) carry the value.
        _m(
            "onboarding_progress",
            "Onboarding progress",
            "onboarding_progress",
            "share",
            50,
            {"kind": "linear", "points": [[0, 0], [0.5, 45], [0.9, 90], [1, 100]]},
            "Completed milestones / all milestones of the account's latest onboarding plan "
            "(0..1). Accounts that completed onboarding report 1.0. None without a plan.",
        ),
        # A week of silence is normal; a month without any touchpoint or usage is drift.
        _m(
            "engagement_recency",
            "Engagement recency",
            "days_since_last_activity",
            "days",
            50,
            {"kind": "step", "points": [[0, 100], [7, 80], [14, 60], [30, 30], [60, 0]]},
            "Whole days from the latest of (last activity/touchpoint, last usage day) to "
            "as_of. An account with no activity ever reports days since it was created.",
        ),
    ]
    return {
        "key": DEFAULT_SCORECARD_KEY,
        "version": DEFAULT_SCORECARD_VERSION,
        "name": "Default health scorecard",
        "description": "Usage, support, sentiment, commercial and engagement signals.",
        # 70/40 are the conventional cut-offs; with these bands an account averaging
        # "fine" (measures 70-80) is green and one with two failing groups is red.
        "score_bands": {"green_min": 70, "yellow_min": 40},
        "confidence": {"high_min": 0.8, "medium_min": 0.5},
        "groups": [
            {"key": "usage", "label": "Product usage", "weight": 35, "measures": usage},
            {"key": "support", "label": "Support", "weight": 15, "measures": support},
            {"key": "sentiment", "label": "Sentiment", "weight": 20, "measures": sentiment},
            {"key": "commercial", "label": "Commercial", "weight": 15, "measures": commercial},
            {
                "key": "engagement",
                "label": "Onboarding & engagement",
                "weight": 15,
                "measures": engagement,
            },
        ],
    }


def renewal_proximity_measure() -> dict[str, Any]:
    """Version 1's renewal-proximity measure (weight 40 beside payment status's 60 in the
    commercial group), for an operator who wants it in a scorecard of their own. It lowers
    the score as the renewal date nears: > 180 days no pressure, < 30 days decision time, a
    past-due renewal (negative days, the open lower bound) lowest."""
    return _m(
        "renewal_proximity",
        "Renewal proximity",
        "days_to_renewal",
        "days",
        40,
        {"kind": "step", "points": [[None, 0], [0, 30], [30, 60], [90, 85], [180, 100]]},
        "Days from as_of to the renewal date of the active contract (negative when the "
        "renewal date has passed without a recorded renewal). None without a contract.",
    )


def default_scorecard() -> Scorecard:
    """The default scorecard (``default`` v2), validated."""
    return Scorecard.from_dict(default_scorecard_dict())


def default_input_specs() -> dict[str, dict[str, str]]:
    """``{input_key: {"unit", "description", "measure"}}`` for the aggregation code and docs:
    the default scorecard's inputs and ``days_to_renewal`` (still computed for operator
    scorecards that include renewal proximity, and for risk-list urgency)."""
    measures = [m for g in default_scorecard_dict()["groups"] for m in g["measures"]]
    return {
        m["input_key"]: {"unit": m["unit"], "description": m["description"], "measure": m["key"]}
        for m in [*measures, renewal_proximity_measure()]
    }
