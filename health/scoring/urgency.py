"""Renewal urgency and the order risk lists use: risk x ARR x urgency, each part kept.

A date coming closer does not make a customer less healthy, so renewal proximity is not a
health measure (default scorecard v2); it says how soon a risk turns into a lost renewal,
which is what a risk list must rank by beside the risk itself and the money at stake.

    urgency  = 1.0 when the renewal is due within 30 days or overdue,
               0.75 within 90 days, 0.5 within 180 days,
               0.25 later or with no open renewal (the risk is real, the decision is far)
    priority = churn probability x ARR (reporting currency; unknown ARR counts 0) x urgency

``priority`` reads as "ARR expected to be lost, weighted by how soon the decision comes".
"""

from __future__ import annotations

from decimal import Decimal

from health.scoring.numbers import round_half_up

# (days to renewal at most, urgency), checked in order; beyond the last one: FAR_URGENCY.
URGENCY_STEPS: tuple[tuple[int, float], ...] = ((30, 1.0), (90, 0.75), (180, 0.5))
FAR_URGENCY = 0.25


def renewal_urgency(days_to_renewal: int | None) -> float:
    """Urgency (0.25–1) of an account whose next open renewal is ``days_to_renewal`` away
    (negative: overdue; None: no open renewal)."""
    if days_to_renewal is None:
        return FAR_URGENCY
    for bound, urgency in URGENCY_STEPS:
        if days_to_renewal <= bound:
            return urgency
    return FAR_URGENCY


def risk_priority(
    probability: float | Decimal, arr: float | Decimal | None, urgency: float | Decimal
) -> float:
    """probability x ARR x urgency, rounded to cents (ARR None counts as 0)."""
    return round_half_up(float(probability) * float(arr or 0) * float(urgency), 2)
