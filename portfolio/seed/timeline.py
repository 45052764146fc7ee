"""The account timeline: CSM activities (calls, meetings, EBRs), stage changes and CTAs.

Touchpoints follow the archetype too: CSMs chase declining accounts, onboarding accounts
get kick-offs and trainings, and nobody has talked to a gone-quiet account for weeks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from customers.demo_identity import demo_contact_email
from customers.models import (
    ActivityKind,
    CtaReason,
    CtaStatus,
    LifecycleStage,
    PlanStatus,
    Priority,
    Tier,
)
from portfolio.seed.context import SeedContext
from portfolio.seed.profiles import AccountProfile, Archetype
from portfolio.seed.rng import at, poisson, stream, weighted

A = Archetype
K = ActivityKind
Row = dict[str, Any]
RATE_PER_30D = {Tier.ENTERPRISE: 3.0, Tier.MID_MARKET: 1.8, Tier.SMB: 0.9, Tier.STARTUP: 0.6}
ATTENTION = {A.GROWING: 1.0, A.FLAT: 0.9, A.DECLINING: 1.5, A.GONE_QUIET: 1.0, A.CHURNED: 1.3}
ATTENTION[A.ONBOARDING] = 2.5
KINDS = ((K.CALL, 30), (K.EMAIL, 30), (K.MEETING, 20), (K.NOTE, 15), (K.TRAINING, 5))
SUBJECTS = {
    "healthy": {
        K.CALL: ("Monthly check-in", "Roadmap preview call", "Expansion discussion: more seats"),
        K.EMAIL: ("Shared best-practice guide", "Invited the team to the user community"),
        K.MEETING: ("Workshop: advanced dashboards", "Success plan review"),
        K.NOTE: ("Champion happy with the rollout", "Asked about the API tier"),
        K.TRAINING: ("Admin training session", "New-user training"),
    },
    "troubled": {
        K.CALL: ("Check-in on falling usage", "Escalation review: open urgent tickets"),
        K.EMAIL: ("Follow-up on the outage report", "Renewal risk: asked for a call"),
        K.MEETING: ("Recovery plan workshop", "Meeting with the new decision maker"),
        K.NOTE: ("Champion left the company", "Budget review announced on their side"),
        K.TRAINING: ("Re-training for the new team",),
    },
}
REVIEW_OUTCOMES = (
    "Agreed success metrics for next quarter",
    "Executive sponsor confirmed budget",
    "Two new teams to onboard",
    "Asked for a roadmap session",
    "Raised concerns about support response times",
)


def _troubled(p: AccountProfile, day: date, ctx: SeedContext) -> bool:
    if p.archetype == A.DECLINING:
        return (day - ctx.cal.first_day).days > 60
    return p.archetype == A.CHURNED and p.visible


def _activity(ctx: SeedContext, p: AccountProfile, r: random.Random, kind: str, day: date) -> Row:
    contacts = ctx.contact_ids(p)
    pick = r.randrange(len(contacts))
    row: Row = {
        "account_id": p.number,
        "contact_id": contacts[pick],
        "author_id": ctx.owner_id(p),
        "kind": kind,
        "occurred_at": at(day, r.randint(8, 17), r.choice((0, 15, 30, 45))),
        "attendees": [],
        "outcomes": [],
    }
    if kind in (K.EBR, K.QBR):
        label = "Executive business review" if kind == K.EBR else "Quarterly business review"
        row["subject"] = f"{label} {day:%Y} Q{(day.month - 1) // 3 + 1}"
        row["attendees"] = [demo_contact_email(p.number, i) for i in range(min(3, p.contacts))]
        row["outcomes"] = r.sample(REVIEW_OUTCOMES, 2)
        row["body"] = "Reviewed adoption, support history and goals for the next quarter."
    else:
        mood = "troubled" if _troubled(p, day, ctx) else "healthy"
        row["subject"] = r.choice(SUBJECTS[mood][kind])
        row["body"] = f"{row['subject']}. Logged by the CSM."
        if kind in (K.MEETING, K.TRAINING):
            row["attendees"] = [demo_contact_email(p.number, pick)]
    return row


def activity_rows(ctx: SeedContext) -> Iterator[Row]:
    aid = 0
    for p in ctx.profiles:
        lo, hi = ctx.data_from(p), ctx.engaged_until(p)
        if p.quiet_from is not None:
            hi = p.quiet_from - timedelta(days=3)
        r = stream(ctx.seed, "activities", p.number)
        items: list[Row] = []
        if p.archetype == A.ONBOARDING:
            items.append(_activity(ctx, p, r, K.MEETING, p.customer_since) | {"subject": "Kickoff"})
        if hi >= lo:
            mean = RATE_PER_30D[p.tier] * ((hi - lo).days + 1) / 30 * ATTENTION[p.archetype]
            for _ in range(poisson(r, mean)):
                day = lo + timedelta(days=r.randint(0, (hi - lo).days))
                items.append(_activity(ctx, p, r, weighted(r, KINDS), day))
            review = {Tier.ENTERPRISE: K.EBR, Tier.MID_MARKET: K.QBR}.get(p.tier)
            day = lo + timedelta(days=r.randint(10, 80))
            while review and day <= hi:
                items.append(_activity(ctx, p, r, review, day))
                day += timedelta(days=91)
        if p.churned_on is not None:
            note = _activity(ctx, p, r, K.NOTE, p.churned_on)
            note |= {
                "subject": "Non-renewal confirmed",
                "body": "The customer confirmed they will not renew.",
            }
            items.append(note)
        items.sort(key=lambda row: row["occurred_at"])
        for row in items:
            aid += 1
            row["id"] = aid
            yield row


def stage_change_rows(ctx: SeedContext) -> Iterator[Row]:
    sid = 0
    for p, steps in zip(ctx.profiles, ctx.stages, strict=True):
        for step in steps:
            sid += 1
            yield {
                "id": sid,
                "account_id": p.number,
                "from_stage": step.from_stage,
                "to_stage": step.to_stage,
                "changed_at": step.changed_at,
                "reason": step.reason,
                "changed_by_id": ctx.owner_id(p),
            }


def cta_rows(ctx: SeedContext) -> Iterator[Row]:
    """A few CTAs: open where a CSM would have one today, closed ones from the past."""
    cid = 0
    today = ctx.cal.today
    for p, steps in zip(ctx.profiles, ctx.stages, strict=True):
        owner = ctx.owner_id(p)
        found: list[Row] = []
        stage = steps[-1]
        if stage.to_stage == LifecycleStage.AT_RISK:
            title = "Save plan: usage and sentiment falling"
            due = today + timedelta(days=7)
            found.append(_cta(CtaReason.CHURN_RISK, title, Priority.HIGH, stage.changed_at, due))
        if p.plan_status == PlanStatus.STALLED:
            created = at(today - timedelta(days=10), 9)
            title = "Onboarding blocked: unblock the customer's next milestone"
            due = today + timedelta(days=5)
            found.append(_cta(CtaReason.ONBOARDING_STALLED, title, Priority.HIGH, created, due))
        if p.active and (p.term.end - today).days <= 60:
            priority = Priority.HIGH if p.archetype == A.DECLINING else Priority.MEDIUM
            created = min(at(p.term.end - timedelta(days=75), 9), ctx.cal.now)
            due = p.term.end - timedelta(days=14)
            title = f"Renewal on {p.term.end}: confirm terms"
            row = _cta(CtaReason.RENEWAL, title, priority, created, due)
            if (p.number + ctx.seed) % 2:
                row["status"] = CtaStatus.IN_PROGRESS
            found.append(row)
        if p.churned_on is not None and p.visible:
            created = at(p.churned_on - timedelta(days=60), 9)
            title = "Save plan: renewal at risk"
            row = _cta(CtaReason.CHURN_RISK, title, Priority.URGENT, created, p.churned_on)
            row |= {"status": CtaStatus.DONE, "closed_at": at(p.churned_on, 17)}
            found.append(row)
        if stage.to_stage == LifecycleStage.EXPANSION:
            due = stage.changed_at.date() + timedelta(days=30)
            title = "Expansion: propose more seats"
            row = _cta(CtaReason.EXPANSION, title, Priority.MEDIUM, stage.changed_at, due)
            row |= {"status": CtaStatus.DONE, "closed_at": stage.changed_at + timedelta(days=9)}
            if row["closed_at"] >= ctx.cal.now:
                row |= {"status": CtaStatus.IN_PROGRESS, "closed_at": None}
            found.append(row)
        for row in found:
            cid += 1
            yield row | {"id": cid, "account_id": p.number, "owner_id": owner}


def _cta(reason: str, title: str, priority: str, created: Any, due: date) -> Row:
    return {
        "reason": reason,
        "title": title,
        "priority": priority,
        "status": CtaStatus.OPEN,
        "source": "manual",
        "details": {"raised_by": "csm"},
        "due_date": due,
        "escalation_level": 1 if priority == Priority.URGENT else 0,
        "created_at": created,
        "closed_at": None,
    }
