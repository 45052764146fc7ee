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


# Plain strings, not the enum members: ~670,000 tickets at 100,000 accounts, and an
# enum member hashes and formats through Python code in every lookup and f-string.
URGENT, HIGH, NORMAL, LOW = (str(v.value) for v in (Pr.URGENT, Pr.HIGH, Pr.NORMAL, Pr.LOW))
SEVERE = (URGENT, HIGH)
_SLA = {str(k.value): v for k, v in SLA_MINUTES.items()}
_WAITING = tuple(
    str(s.value) for s in (TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD)
)
_NEW, _CLOSED, _SOLVED = (
    str(s.value) for s in (TicketStatus.NEW, TicketStatus.CLOSED, TicketStatus.SOLVED)
)
_FEATURE_TEXT = tuple(
    (f.key, f"Reported by the customer about {f.name} ({{}} priority).", f.name) for f in FEATURES
)
_FIVE_MINUTES = timedelta(minutes=5)
_FOUR_DAYS = timedelta(days=4)


def _priority(p: AccountProfile, t: float, r: random.Random, is_strained: bool) -> str:
    severe = 0.18
    if p.crisis:
        severe = 0.25 + 0.7 * t
    elif p.archetype == A.DECLINING:
        severe = 0.15 + 0.45 * t
    elif is_strained:
        severe = 0.45
    if r.random() < severe:
        return URGENT if r.random() < 0.3 else HIGH
    return LOW if r.random() < 0.3 else NORMAL


class _Account:
    """What every ticket of one account reads, computed once per account."""

    __slots__ = ("p", "lo", "span", "strained", "slow", "spread", "fr_mu", "res_mu", "mood")

    def __init__(self, ctx: SeedContext, p: AccountProfile) -> None:
        self.p = p
        self.lo = ctx.data_from(p)
        self.span = (ctx.engaged_until(p) - self.lo).days
        self.strained = strained(p)
        # Median share of the SLA target a reply and a fix take: healthy accounts mostly
        # meet their targets (~10 % breached), strained ones breach more than half.
        self.slow, self.spread = (0.8, 0.7) if self.strained else (0.35, 0.6)
        self.fr_mu = math.log(self.slow)
        self.res_mu = math.log(self.slow + 0.1)
        self.mood = MOOD.get(p.archetype, 2.6 if p.visible else 3.9)


def _ticket(ctx: SeedContext, a: _Account, r: random.Random, tid: int) -> dict[str, Any]:
    p = a.p
    cal = ctx.cal
    t = r.random()
    if a.strained:
        t = t**0.55  # trouble builds up towards the end of the window
    day = a.lo + timedelta(days=int(t * a.span))
    opened = cal.moment(r, day, day, business=False)
    t = (opened.date() - cal.first_day).days / 180
    priority = _priority(p, t, r, a.strained)
    fr_target, res_target = _SLA[priority]
    spread = a.spread
    fr = timedelta(minutes=fr_target * r.lognormvariate(a.fr_mu, spread))
    resolution = timedelta(minutes=res_target * r.lognormvariate(a.res_mu, spread))
    now = cal.now
    responded: datetime | None = opened + fr
    resolved: datetime | None = opened + max(resolution, fr + _FIVE_MINUTES)
    if resolved is not None and resolved > now:
        resolved = None
        if responded is not None and responded > now:
            responded = None
            status = _NEW
        else:
            status = r.choice(_WAITING)
    else:
        old = resolved is not None and resolved < now - _FOUR_DAYS
        status = _CLOSED if old else _SOLVED
    breached = ((responded or now) - opened) > timedelta(minutes=fr_target) or (
        (resolved or now) - opened
    ) > timedelta(minutes=res_target)
    satisfaction = None
    if resolved is not None and r.random() < 0.45:
        mood = a.mood - (1.2 if breached else 0)
        satisfaction = int(clamp(round(r.gauss(mood, 0.8)), 1, 5))
    key, description, area = r.choice(_FEATURE_TEXT)
    severe = priority in SEVERE
    if severe:
        subject = r.choice(SEVERE_SUBJECTS)
    else:
        subject = r.choice(LOW_SUBJECTS if priority == LOW else NORMAL_SUBJECTS)
    subject = subject.format(area=area)
    contacts = ctx.contact_ids(p)
    last_change = resolved or responded or opened
    return {
        "id": tid,
        "account_id": p.number,
        "contact_id": contacts[r.randrange(len(contacts))],
        "subject": subject,
        "description": description.format(priority),
        "status": status,
        "priority": priority,
        "channel": weighted(r, CHANNELS),
        "assignee": r.choice(AGENTS),
        "tags": [key, "outage"] if priority == URGENT else [key],
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
        a = _Account(ctx, p)
        tickets = [_ticket(ctx, a, r, 0) for _ in range(poisson(r, mean * r.uniform(0.6, 1.4)))]
        tickets.sort(key=lambda row: row["opened_at"])
        for row in tickets:
            tid += 1
            row["id"] = tid
            yield row
