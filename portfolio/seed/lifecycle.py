"""Lifecycle stage history: each move dated and explained, ending in the current stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from customers.models import LifecycleStage, PlanStatus
from portfolio.seed.profiles import AccountProfile, Archetype
from portfolio.seed.rng import Calendar, at, stream

S = LifecycleStage
VISIBLE_CHURN_REASONS = (
    "low adoption after the champion left",
    "moved to a competitor with a cheaper plan",
    "missing integrations they needed",
    "repeated outages and slow support",
)
SILENT_CHURN_REASONS = (
    "acquired by a company standardised on another platform",
    "budget frozen for the year",
    "the project the product served was cancelled",
)


@dataclass(frozen=True, slots=True)
class StageStep:
    changed_at: datetime
    from_stage: str
    to_stage: str
    reason: str


def live_on(p: AccountProfile, cal: Calendar) -> date | None:
    """The day onboarding finished (first value reached), or None while it has not."""
    done = p.customer_since + timedelta(days=p.ttv_days)
    if p.archetype != Archetype.ONBOARDING:
        return done
    if p.plan_status == PlanStatus.COMPLETED:
        return min(done, cal.today - timedelta(days=3))
    return None


def churn_reason(p: AccountProfile, seed: int) -> str | None:
    if p.churned_on is None:
        return None
    r = stream(seed, "churn-reason", p.number)
    return r.choice(VISIBLE_CHURN_REASONS if p.visible else SILENT_CHURN_REASONS)


def stage_path(p: AccountProfile, cal: Calendar, seed: int) -> list[StageStep]:
    r = stream(seed, "stages", p.number)
    steps: list[StageStep] = []

    def move(day: date, to_stage: str, reason: str) -> None:
        when = at(day, r.randint(9, 17), r.randint(0, 59))
        if steps and when <= steps[-1].changed_at:
            when = steps[-1].changed_at + timedelta(hours=1)
        steps.append(StageStep(when, steps[-1].to_stage if steps else "", to_stage, reason))

    move(p.customer_since, S.ONBOARDING, "Contract signed; onboarding kicked off")
    live = live_on(p, cal)
    if live is None:
        return steps
    move(live, S.ADOPTION, "Onboarding plan completed; first value reached")
    today = cal.today
    if p.archetype == Archetype.GROWING:
        day = max(live + timedelta(days=30), today - timedelta(days=r.randint(20, 150)))
        if day < today:
            move(day, S.EXPANSION, "Usage growing month over month; expansion plan agreed")
    elif p.archetype == Archetype.DECLINING and r.random() < 0.7:
        move(
            today - timedelta(days=r.randint(7, 45)),
            S.AT_RISK,
            "Active users falling month over month; high-severity tickets open",
        )
    elif p.archetype in (Archetype.FLAT, Archetype.GONE_QUIET) and p.active:
        if (p.term.end - today).days <= 60:
            move(p.term.end - timedelta(days=90), S.RENEWAL, "Renewal window opened (90 days out)")
    elif p.archetype == Archetype.CHURNED and p.churned_on is not None:
        if p.visible:
            move(
                p.churned_on - timedelta(days=r.randint(25, 70)),
                S.AT_RISK,
                "Usage down, detractor NPS answers and an unanswered renewal proposal",
            )
        move(p.churned_on, S.CHURNED, f"Did not renew: {churn_reason(p, seed)}")
    return steps
