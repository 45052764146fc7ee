"""The customer journey: lifecycle stages (from recorded stage changes) and the
touchpoints of each stage, counted from the same sources as the account timeline (plus
training sessions and finished onboarding milestones). One query per source."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from datetime import datetime, time
from typing import Any

from customers.models import Account, LifecycleStageChange, OnboardingMilestone, TrainingSession
from portfolio.selectors.timeline import SOURCES

# Rows that describe the journey itself or the system, not a touch with the customer.
NOT_TOUCHPOINTS = frozenset({"stage_change", "health_change"})


def _touch_times(account_id: int) -> list[tuple[datetime, str]]:
    out: list[tuple[datetime, str]] = []
    for source in SOURCES:
        if source.kind in NOT_TOUCHPOINTS:
            continue
        qs = source.queryset(account_id).filter(**{f"{source.date_field}__isnull": False})
        out += [(t, source.kind) for t in qs.values_list(source.date_field, flat=True)]
    out += [
        (t, "training_session")
        for t in TrainingSession.objects.filter(
            account_id=account_id, status="delivered"
        ).values_list("scheduled_at", flat=True)
    ]
    out += [
        (t, "milestone_done")
        for t in OnboardingMilestone.objects.filter(
            plan__account_id=account_id, completed_at__isnull=False
        ).values_list("completed_at", flat=True)
    ]
    out.sort(key=lambda x: x[0])
    return out


def customer_journey(account: Account, *, now: datetime) -> dict[str, Any]:
    changes = list(
        LifecycleStageChange.objects.filter(account=account).order_by("changed_at", "id")
    )
    if changes:
        stages = [(c.to_stage, c.changed_at, c.reason) for c in changes]
    else:
        start = datetime.combine(account.customer_since or now.date(), time.min, tzinfo=now.tzinfo)
        stages = [(account.lifecycle_stage, start, "no stage change recorded")]
    touches = _touch_times(account.pk)
    starts = [s[1] for s in stages]
    per_stage: list[Counter[str]] = [Counter() for _ in stages]
    before = Counter()
    for t, kind in touches:
        i = bisect_right(starts, t) - 1
        (before if i < 0 else per_stage[i])[kind] += 1
    rows = []
    for i, (stage, entered, reason) in enumerate(stages):
        exited = stages[i + 1][1] if i + 1 < len(stages) else None
        days = ((exited or now) - entered).total_seconds() / 86400
        rows.append(
            {
                "stage": stage,
                "entered_at": entered,
                "exited_at": exited,
                "days": round(days, 1),
                "reason": reason,
                "touchpoints": dict(sorted(per_stage[i].items())),
                "touchpoints_total": sum(per_stage[i].values()),
            }
        )
    last = touches[-1][0] if touches else None
    return {
        "current_stage": account.lifecycle_stage,
        "stages": rows,
        "touchpoints_before_first_stage": sum(before.values()),
        "touchpoints_total": dict(sorted(Counter(k for _, k in touches).items())),
        "last_touch_at": last,
        "days_since_last_touch": (now - last).days if last else None,
    }
