"""Onboarding plans (every status), their milestones and dependencies, and training.

Milestones agree with their plan: a completed plan has every milestone done; one in
progress has done milestones, one under way and the rest pending; a stalled plan is
blocked on one milestone; a plan not started has nothing started.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from customers.models import MilestoneStatus, PlanStatus
from portfolio.seed.catalogue import TEMPLATE_FOR_TIER, TRAINING_MODULES
from portfolio.seed.context import SeedContext
from portfolio.seed.lifecycle import live_on
from portfolio.seed.profiles import AccountProfile, Archetype
from portfolio.seed.rng import Calendar, at, stream

A = Archetype
M = MilestoneStatus
Row = dict[str, Any]
PLAN_HISTORY_DAYS = 3 * 365
CERTIFICATION_DAYS = 365  # a certification is valid for a year
# Milestones the customer owns (their primary contact); the CSM owns the others.
CUSTOMER_OWNED = frozenset(
    {
        "sso-setup",
        "data-integration",
        "data-import",
        "workspace-setup",
        "invite-team",
        "team-rollout",
    }
)


def customer_owned(key: str) -> bool:
    return key in CUSTOMER_OWNED  # older customers were onboarded before the platform existed


ENGAGED_CONTACTS = {
    A.GROWING: (0.6, 1.0),
    A.FLAT: (0.3, 0.7),
    A.DECLINING: (0.2, 0.5),
    A.GONE_QUIET: (0.3, 0.6),
    A.CHURNED: (0.1, 0.4),
    A.ONBOARDING: (0.0, 0.5),
}


@dataclass
class OnboardingRows:
    plans: list[Row] = field(default_factory=list)
    milestones: list[Row] = field(default_factory=list)
    dependencies: list[Row] = field(default_factory=list)


def _spread(start: datetime, end: datetime, k: int, i: int) -> datetime:
    """The i-th (0-based) of k moments spread evenly after ``start`` up to ``end``."""
    return start + (end - start) * (i + 1) / k


def _milestone_states(
    p: AccountProfile, status: str, m: int, start: datetime, cal: Calendar, r: random.Random
) -> list[tuple[str, datetime | None, datetime | None]]:
    """(status, started_at, completed_at) per milestone, consistent with the plan status."""
    if status == PlanStatus.NOT_STARTED:
        return [(M.PENDING, None, None)] * m
    cal_now = cal.now
    if status == PlanStatus.COMPLETED:
        end = at(live_on(p, cal) or start.date(), 15)
        done = [_spread(start, end, m, i) for i in range(m)]
        return [(M.DONE, done[i - 1] if i else start, done[i]) for i in range(m)]
    elapsed = (cal_now - start).days / max(p.ttv_days, 1)
    if status == PlanStatus.STALLED:
        k = r.randint(1, max(1, m - 2))
        stop = start + timedelta(days=5 * k)
    else:
        k = min(m - 1, int(elapsed * m * r.uniform(0.7, 1.1)))
        stop = cal_now - timedelta(hours=r.randint(6, 72))
    done = [_spread(start, stop, k + 1, i) for i in range(k)]
    states: list[tuple[str, datetime | None, datetime | None]] = [
        (M.DONE, done[i - 1] if i else start, done[i]) for i in range(k)
    ]
    current = M.BLOCKED if status == PlanStatus.STALLED else M.IN_PROGRESS
    states.append((current, done[-1] if done else start, None))
    states += [(M.PENDING, None, None)] * (m - k - 1)
    return states


def onboarding_rows(ctx: SeedContext) -> OnboardingRows:
    out = OnboardingRows()
    for p in ctx.profiles:
        age = (ctx.cal.today - p.customer_since).days
        if p.archetype != A.ONBOARDING and age > PLAN_HISTORY_DAYS:
            continue
        r = stream(ctx.seed, "onboarding", p.number)
        template = TEMPLATE_FOR_TIER[p.tier]
        status = p.plan_status or PlanStatus.COMPLETED
        started = None
        if status != PlanStatus.NOT_STARTED:
            started = min(p.customer_since + timedelta(days=r.randint(0, 3)), ctx.cal.last_day)
        anchor = started or p.customer_since
        plan_id = len(out.plans) + 1
        completed = live_on(p, ctx.cal) if status == PlanStatus.COMPLETED else None
        out.plans.append(
            {
                "id": plan_id,
                "account_id": p.number,
                "template": template.key,
                "status": status,
                "owner_id": ctx.owner_id(p),
                "started_on": started,
                "target_date": anchor + timedelta(days=template.target_ttv_days),
                "completed_on": completed,
                "target_ttv_days": template.target_ttv_days,
                # Live plans remind and escalate through the hourly automation task.
                "automation_enabled": status in (PlanStatus.IN_PROGRESS, PlanStatus.STALLED),
                "remind_days_before": 3,
                "escalate_days_overdue": 2,
                "created_at": at(p.customer_since, 9),
            }
        )
        m = len(template.milestones)
        states = _milestone_states(p, status, m, at(anchor, 10), ctx.cal, r)
        first_id = len(out.milestones) + 1
        steps = zip(template.milestones, states, strict=True)
        for i, ((key, name), (state, begun, done)) in enumerate(steps):
            due = anchor + timedelta(days=round(template.target_ttv_days * (i + 1) / m))
            out.milestones.append(
                {
                    "id": first_id + i,
                    "plan_id": plan_id,
                    "key": key,
                    "name": name,
                    "position": i,
                    "status": state,
                    "due_date": due,
                    "started_at": begun,
                    "completed_at": done,
                    "owner_id": None if customer_owned(key) else ctx.owner_id(p),
                    "owner_contact_id": ctx.contact_ids(p)[0] if customer_owned(key) else None,
                }
            )
            if i:
                out.dependencies.append(
                    {
                        "id": len(out.dependencies) + 1,
                        "from_onboardingmilestone_id": first_id + i,
                        "to_onboardingmilestone_id": first_id + i - 1,
                    }
                )
    return out


def training_completion_rows(ctx: SeedContext) -> Iterator[Row]:
    cid = 0
    for p in ctx.profiles:
        lo = p.customer_since + timedelta(days=3)
        hi = ctx.engaged_until(p)
        if hi < lo:
            continue
        r = stream(ctx.seed, "training", p.number)
        contacts = list(ctx.contact_ids(p))
        engaged = round(len(contacts) * r.uniform(*ENGAGED_CONTACTS[p.archetype]))
        for contact_id in contacts[:engaged]:
            modules = r.randint(1, 3 if p.archetype != A.GROWING else len(TRAINING_MODULES))
            for module_index, module in enumerate(TRAINING_MODULES[:modules], 1):
                score = r.randint(55 if p.archetype != A.GROWING else 70, 100)
                cid += 1
                completed = ctx.cal.moment(r, lo, hi)
                yield {
                    "id": cid,
                    "module_id": module_index,
                    "contact_id": contact_id,
                    "completed_at": completed,
                    "score": score,
                    "certified": module.certifies and score >= 80,
                    "certified_at": completed if module.certifies and score >= 80 else None,
                    "certification_expires_at": completed + timedelta(days=CERTIFICATION_DAYS)
                    if module.certifies and score >= 80
                    else None,
                    "certification_revoked_at": None,
                }
