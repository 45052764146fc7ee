"""Support tickets with priorities, SLA targets, response and resolution times.

Volume and severity follow the archetype: declining accounts open more tickets, more of
them severe, more of them late in the window; strained accounts also wait longer, so they
breach more SLAs. ``sla_breached`` is computed from the timestamps and the targets.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from integrations.models import TicketPriority, TicketStatus
from portfolio.seed.catalogue import FEATURES
from portfolio.seed.context import SeedContext
from portfolio.seed.profiles import AccountProfile, Archetype
from portfolio.seed.rng import clamp, poisson, stream, weighted

A = Archetype
Pr = TicketPriority
# Minutes: (first response, resolution) targets per priority.
SLA_MINUTES = {Pr.URGENT: (60, 480), Pr.HIGH: (240, 1440), Pr.NORMAL: (480, 4320)}
SLA_MINUTES[Pr.LOW] = (1440, 10080)
RATE_PER_30D = {"enterprise": 2.6, "mid_market": 1.4, "smb": 0.7, "startup": 0.45}
VOLUME = {A.GROWING: 0.8, A.FLAT: 1.0, A.DECLINING: 2.0, A.GONE_QUIET: 0.8, A.ONBOARDING: 1.6}
MOOD = {A.GROWING: 4.5, A.FLAT: 4.2, A.DECLINING: 3.0, A.GONE_QUIET: 4.0, A.ONBOARDING: 4.2}
SEVERE_SUBJECTS = (
    "{area} is down for all our users",
    "{area} returns errors since this morning",
    "Data missing in {area} after last night's sync",
    "Cannot sign in to {area}",
    "{area} shows wrong numbers to customers",
)
NORMAL_SUBJECTS = (
    "How do we configure {area} for a new team?",
    "{area} is slow to load",
    "Permissions question about {area}",
    "Bulk edit in {area}?",
    "Invoice does not match our seat count",
    "Connecting {area} to our warehouse",
)
LOW_SUBJECTS = ("Typo in {area} labels", "Idea for {area}", "Where is the {area} guide?")
AGENTS = ("Priya S.", "Tomás R.", "Keiko M.", "Sven L.", "Amara O.", "Luca B.")
CHANNELS = (("email", 40), ("web", 30), ("chat", 20), ("phone", 10))


def strained(p: AccountProfile) -> bool:
    return p.archetype == A.DECLINING or (p.archetype == A.CHURNED and p.visible)


def _volume(p: AccountProfile) -> float:
    if p.archetype == A.CHURNED:
        return 2.0 if p.visible else 0.9
    if p.crisis:
        return 3.0
    return VOLUME[p.archetype]


def _priority(p: AccountProfile, t: float, r: random.Random) -> str:
    severe = 0.18
    if p.crisis:
        severe = 0.25 + 0.7 * t
    elif p.archetype == A.DECLINING:
        severe = 0.15 + 0.45 * t
    elif strained(p):
        severe = 0.45
    if r.random() < severe:
        return Pr.URGENT if r.random() < 0.3 else Pr.HIGH
    return Pr.LOW if r.random() < 0.3 else Pr.NORMAL


def _ticket(ctx: SeedContext, p: AccountProfile, r: random.Random, tid: int) -> dict[str, Any]:
    lo, hi = ctx.data_from(p), ctx.engaged_until(p)
    t = r.random()
    if strained(p):
        t = t**0.55  # trouble builds up towards the end of the window
    day = lo + timedelta(days=int(t * (hi - lo).days))
    opened = ctx.cal.moment(r, day, day, business=False)
    t = (opened.date() - ctx.cal.first_day).days / 180
    priority = _priority(p, t, r)
    fr_target, res_target = SLA_MINUTES[priority]
    # Median share of the SLA target a reply and a fix take: healthy accounts mostly meet
    # their targets (~10 % breached), strained ones breach more than half.
    slow, spread = (0.8, 0.7) if strained(p) else (0.35, 0.6)
    fr = timedelta(minutes=fr_target * r.lognormvariate(math.log(slow), spread))
    resolution = timedelta(minutes=res_target * r.lognormvariate(math.log(slow + 0.1), spread))
    now = ctx.cal.now
    responded: datetime | None = opened + fr
    resolved: datetime | None = opened + max(resolution, fr + timedelta(minutes=5))
    if resolved is not None and resolved > now:
        resolved = None
        if responded is not None and responded > now:
            responded = None
            status = TicketStatus.NEW
        else:
            status = r.choice((TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD))
    else:
        old = resolved is not None and resolved < now - timedelta(days=4)
        status = TicketStatus.CLOSED if old else TicketStatus.SOLVED
    breached = ((responded or now) - opened) > timedelta(minutes=fr_target) or (
        (resolved or now) - opened
    ) > timedelta(minutes=res_target)
    satisfaction = None
    if resolved is not None and r.random() < 0.45:
        mood = MOOD.get(p.archetype, 2.6 if p.visible else 3.9) - (1.2 if breached else 0)
        satisfaction = int(clamp(round(r.gauss(mood, 0.8)), 1, 5))
    feature = r.choice(FEATURES)
    if priority in (Pr.URGENT, Pr.HIGH):
        subject = r.choice(SEVERE_SUBJECTS)
    else:
        subject = r.choice(LOW_SUBJECTS if priority == Pr.LOW else NORMAL_SUBJECTS)
    subject = subject.format(area=feature.name)
    contacts = ctx.contact_ids(p)
    last_change = resolved or responded or opened
    return {
        "id": tid,
        "account_id": p.number,
        "contact_id": contacts[r.randrange(len(contacts))],
        "subject": subject,
        "description": f"Reported by the customer about {feature.name} ({priority} priority).",
        "status": status,
        "priority": priority,
        "channel": weighted(r, CHANNELS),
        "assignee": r.choice(AGENTS),
        "tags": [feature.key, "outage"] if priority == Pr.URGENT else [feature.key],
        "opened_at": opened,
        "first_response_at": responded,
        "resolved_at": resolved,
        "sla_first_response_minutes": fr_target,
        "sla_resolution_minutes": res_target,
        "sla_breached": breached,
        "satisfaction": satisfaction,
        "source_updated_at": last_change,
        "created_at": opened,
        "updated_at": last_change,
    }


def ticket_rows(ctx: SeedContext) -> Iterator[dict[str, Any]]:
    tid = 0
    for p in ctx.profiles:
        lo, hi = ctx.data_from(p), ctx.engaged_until(p)
        if hi < lo:
            continue
        r = stream(ctx.seed, "tickets", p.number)
        mean = RATE_PER_30D[p.tier] * ((hi - lo).days + 1) / 30 * _volume(p)
        tickets = [_ticket(ctx, p, r, 0) for _ in range(poisson(r, mean * r.uniform(0.6, 1.4)))]
        tickets.sort(key=lambda row: row["opened_at"])
        for row in tickets:
            tid += 1
            row["id"] = tid
            yield row
