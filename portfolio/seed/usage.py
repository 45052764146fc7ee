"""Daily usage rows: 180 days per account shaped by its archetype.

The archetype sets the curve (growing, flat, declining, silent after a date, ramping up
after a kick-off, ending at churn); weekdays, per-day noise and per-account habits
(sessions per user, events per session, minutes per session) make every account's series
its own. Rounding is stochastic so that small accounts average right.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from customers.models import PlanStatus
from portfolio.seed.context import SeedContext
from portfolio.seed.profiles import AccountProfile, Archetype
from portfolio.seed.rng import WINDOW_DAYS, stream

A = Archetype
USAGE_COLUMNS = ("id", "account_id", "date", "active_users", "sessions", "events", "minutes")
USAGE_COLUMNS += ("source",)
WEEKDAY = (1.0, 1.04, 1.05, 1.02, 0.9, 0.3, 0.22)  # Monday..Sunday
QUIET = -1.0  # level marker: no regular users, an occasional stray login


@dataclass
class UsageStats:
    """What the feature-adoption generator needs to stay consistent with the usage rows."""

    days: int = 0
    events: int = 0
    peak_users_30d: int = 0
    first_active: date | None = None
    last_active: date | None = None


def _level(p: AccountProfile, day: date, first_day: date, plan_status: str | None) -> float:
    """Expected share of seats active on a weekday ``day``."""
    t = (day - first_day).days / (WINDOW_DAYS - 1)
    s = p.share
    arch = p.archetype
    if arch == A.GROWING:
        return s * (0.8 + 0.7 * t**3)  # accelerating: about +20 % a month at the end
    if arch == A.FLAT:
        return s * (1 + 0.04 * math.sin((day - first_day).days / 7.0))
    if arch == A.DECLINING:
        t0 = p.decline_from
        drop = 0.9 if p.crisis else 0.65  # a crisis: most users gone by now
        return s * (1 - drop * max(0.0, (t - t0) / (1 - t0)))
    if arch == A.GONE_QUIET:
        return QUIET if p.quiet_from is not None and day >= p.quiet_from else s
    if arch == A.CHURNED:
        assert p.churned_on is not None
        left = (p.churned_on - day).days
        if not p.visible:  # a silent churn: fine until the last fortnight's wind-down
            return s * (0.5 if left <= 14 else 1.0)
        return s * (0.25 + 0.75 * min(1.0, left / WINDOW_DAYS))
    ramp_days = (day - p.usage_start).days
    if plan_status == PlanStatus.NOT_STARTED:
        return min(0.3, 2.0 / p.term.seats)  # an admin or two looking around
    if plan_status == PlanStatus.STALLED:
        return s * min(1.0, 0.3 + ramp_days / 30)
    return s * min(1.0, 0.1 + 0.9 * ramp_days / max(p.ttv_days, 1))


def _series(ctx: SeedContext, stats: dict[int, UsageStats]) -> Iterator[tuple[int, date, list]]:
    """Per account (in profile order): its number, first day, and one (users, sessions,
    events, minutes) per day from there; fills ``stats`` as it goes."""
    cal = ctx.cal
    first_day = cal.first_day
    recent = cal.today - timedelta(days=30)
    one_day = timedelta(days=1)
    for p in ctx.profiles:
        r = stream(ctx.seed, "usage", p.number)
        rand = r.random
        seats = p.term.seats
        sessions_per_user = r.uniform(0.4, 1.6)
        events_per_session = r.uniform(6, 28)
        minutes_per_session = r.uniform(5, 25)
        st = stats[p.number] = UsageStats()
        start = day = ctx.data_from(p)
        end = ctx.data_until(p)
        plan_status = p.plan_status
        days: list[tuple[int, int, int, int]] = []
        while day <= end:
            level = _level(p, day, first_day, plan_status)
            if level == QUIET:
                users = 1 if rand() < 0.12 else 0
            else:
                expected = seats * level * WEEKDAY[day.weekday()] * (0.85 + 0.3 * rand())
                users = min(seats, int(expected + rand()))
            if users:
                sessions = users + int(users * sessions_per_user * rand())
                x = 0.8 + 0.4 * rand()
                events = int(sessions * events_per_session * x)
                minutes = int(sessions * minutes_per_session * x)
                st.last_active = day
                st.first_active = st.first_active or day
                if day >= recent and users > st.peak_users_30d:
                    st.peak_users_30d = users
                st.events += events
                days.append((users, sessions, events, minutes))
            else:
                days.append((0, 0, 0, 0))
            day += one_day
        st.days = len(days)
        yield p.number, start, days


def usage_rows(ctx: SeedContext, stats: dict[int, UsageStats]) -> Iterator[tuple]:
    """Tuples in USAGE_COLUMNS order; fills ``stats`` per account as it goes."""
    row_id = 0
    one_day = timedelta(days=1)
    for number, day, days in _series(ctx, stats):
        for users, sessions, events, minutes in days:
            row_id += 1
            yield (row_id, number, day, users, sessions, events, minutes, "seed")
            day += one_day


def usage_copy_text(ctx: SeedContext, stats: dict[int, UsageStats]) -> Iterator[tuple[int, str]]:
    """The rows of ``usage_rows`` as COPY text, one block (and its row count) per account:
    formatting ~15 M rows of integers and dates by hand costs a fraction of adapting
    every value (the seed's largest table at 100,000 accounts)."""
    row_id = 0
    day_text: dict[int, str] = {}  # date ordinal -> ISO text, shared by every account
    for number, day, days in _series(ctx, stats):
        first = day.toordinal()
        lines = []
        for offset, (users, sessions, events, minutes) in enumerate(days):
            ordinal = first + offset
            text = day_text.get(ordinal)
            if text is None:
                text = day_text[ordinal] = date.fromordinal(ordinal).isoformat()
            row_id += 1
            lines.append(
                f"{row_id}\t{number}\t{text}\t{users}\t{sessions}\t{events}\t{minutes}\tseed\n"
            )
        yield len(lines), "".join(lines)
