"""Daily usage rows: 180 days per account shaped by its archetype.

The archetype sets the curve (growing, flat, declining, silent after a date, ramping up
after a kick-off, ending at churn); weekdays, per-day noise and per-account habits
(sessions per user, events per session, minutes per session) make every account's series
its own. Rounding is stochastic so that small accounts average right.

The seed's largest table (~156 rows per account, 15.6 M at 100,000 accounts), so it is
computed with numpy, a block of ``CHUNK`` consecutive account numbers at a time: per-row
Python cost ~1.2 µs was most of the seed's CPU. Each block draws from its own stream
(seed, "usage", block index); inside a block the per-account habits come first (always
``CHUNK`` of them) and the per-day draws follow in account order, so account ``n``'s series
depends only on the accounts numbered before it in its block: a larger portfolio keeps
the smaller one's usage.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from customers.models import PlanStatus
from portfolio.seed.context import SeedContext
from portfolio.seed.profiles import Archetype
from portfolio.seed.rng import WINDOW_DAYS

A = Archetype
USAGE_COLUMNS = ("id", "account_id", "date", "active_users", "sessions", "events", "minutes")
USAGE_COLUMNS += ("source",)
WEEKDAY = (1.0, 1.04, 1.05, 1.02, 0.9, 0.3, 0.22)  # Monday..Sunday
CHUNK = 1000  # accounts per random stream and per numpy block
_DOMAIN = zlib.crc32(b"usage")
_ARCH_CODE = {a: i for i, a in enumerate(Archetype)}
_PLAN_CODE = {PlanStatus.NOT_STARTED: 1, PlanStatus.STALLED: 2}
_PG_EPOCH = date(2000, 1, 1).toordinal()  # binary COPY dates count days from here
_NONE_ORDINAL = 10**7  # "no such date": later than any real one
# One row of PostgreSQL's binary COPY format: a field count, then each field's byte length
# and big-endian value, in USAGE_COLUMNS order.
BINARY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("id_len", ">i4"),
        ("id", ">i8"),
        ("account_len", ">i4"),
        ("account", ">i8"),
        ("date_len", ">i4"),
        ("date", ">i4"),
        ("users_len", ">i4"),
        ("users", ">i4"),
        ("sessions_len", ">i4"),
        ("sessions", ">i4"),
        ("events_len", ">i4"),
        ("events", ">i4"),
        ("minutes_len", ">i4"),
        ("minutes", ">i4"),
        ("source_len", ">i4"),
        ("source", "S4"),
    ]
)


@dataclass
class UsageStats:
    """What the feature-adoption generator needs to stay consistent with the usage rows."""

    days: int = 0
    events: int = 0
    peak_users_30d: int = 0
    first_active: date | None = None
    last_active: date | None = None


@dataclass
class UsageBlock:
    """The usage rows of up to ``CHUNK`` accounts as columns (dates as ordinals)."""

    ids: np.ndarray
    accounts: np.ndarray
    ordinals: np.ndarray
    users: np.ndarray
    sessions: np.ndarray
    events: np.ndarray
    minutes: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _accounts_columns(ctx: SeedContext, profiles: list) -> dict[str, np.ndarray]:
    """Per-account inputs of the curves, one array entry per profile."""
    cols: dict[str, list] = {k: [] for k in _ACCOUNT_FIELDS}
    for p in profiles:
        start, end = ctx.data_from(p), ctx.data_until(p)
        cols["number"].append(p.number)
        cols["arch"].append(_ARCH_CODE[p.archetype])
        cols["seats"].append(p.term.seats)
        cols["share"].append(p.share)
        cols["start"].append(start.toordinal())
        cols["days"].append(max(0, (end - start).days + 1))
        cols["decline_from"].append(p.decline_from)
        cols["crisis"].append(p.crisis)
        cols["visible"].append(p.visible)
        cols["quiet_from"].append(p.quiet_from.toordinal() if p.quiet_from else _NONE_ORDINAL)
        cols["churned_on"].append(p.churned_on.toordinal() if p.churned_on else _NONE_ORDINAL)
        cols["usage_start"].append(p.usage_start.toordinal())
        cols["plan"].append(_PLAN_CODE.get(p.plan_status, 0))
        cols["ttv"].append(max(p.ttv_days, 1))
    return {k: np.asarray(v) for k, v in cols.items()}


_ACCOUNT_FIELDS = (
    "number arch seats share start days decline_from crisis visible quiet_from churned_on "
    "usage_start plan ttv"
).split()


def _level(
    acc: dict[str, np.ndarray], row_acc: np.ndarray, day: np.ndarray, first: int
) -> np.ndarray:
    """Expected share of seats active on a weekday, per row; NaN where the account is
    quiet (no regular users, an occasional stray login)."""

    def col(name: str) -> np.ndarray:
        return acc[name][row_acc]

    s = col("share")
    offset = day - first
    t = offset / (WINDOW_DAYS - 1)
    arch = col("arch")
    growing = s * (0.8 + 0.7 * t**3)  # accelerating: about +20 % a month at the end
    flat = s * (1 + 0.04 * np.sin(offset / 7.0))
    t0 = col("decline_from")
    drop = np.where(col("crisis"), 0.9, 0.65)  # a crisis: most users gone by now
    declining = s * (1 - drop * np.maximum(0.0, (t - t0) / (1 - t0)))
    quiet = np.where(day >= col("quiet_from"), np.nan, s)
    left = col("churned_on") - day
    churned = np.where(
        col("visible"),
        s * (0.25 + 0.75 * np.minimum(1.0, left / WINDOW_DAYS)),
        s * np.where(left <= 14, 0.5, 1.0),  # a silent churn: fine until its wind-down
    )
    ramp = day - col("usage_start")
    plan = col("plan")
    onboarding = np.select(
        [plan == 1, plan == 2],
        [
            np.minimum(0.3, 2.0 / col("seats")),  # an admin or two looking around
            s * np.minimum(1.0, 0.3 + ramp / 30),
        ],
        s * np.minimum(1.0, 0.1 + 0.9 * ramp / col("ttv")),
    )
    code = _ARCH_CODE
    return np.select(
        [
            arch == code[A.GROWING],
            arch == code[A.FLAT],
            arch == code[A.DECLINING],
            arch == code[A.GONE_QUIET],
            arch == code[A.CHURNED],
        ],
        [growing, flat, declining, quiet, churned],
        onboarding,
    )


def usage_blocks(ctx: SeedContext, stats: dict[int, UsageStats]) -> Iterator[UsageBlock]:
    """The usage rows in blocks of ``CHUNK`` accounts (profile order, ids 1..n); fills
    ``stats`` per account as it goes."""
    first = ctx.cal.first_day.toordinal()
    recent = (ctx.cal.today - timedelta(days=30)).toordinal()
    weekday = np.asarray(WEEKDAY)
    next_id = 1
    profiles = ctx.profiles
    for lo in range(0, len(profiles), CHUNK):
        chunk = profiles[lo : lo + CHUNK]
        block_index = (chunk[0].number - 1) // CHUNK
        rng = np.random.Generator(np.random.PCG64([ctx.seed, _DOMAIN, block_index]))
        habits = rng.random((CHUNK, 3))[: len(chunk)]
        acc = _accounts_columns(ctx, chunk)
        counts = acc["days"]
        total = int(counts.sum())
        row_acc = np.repeat(np.arange(len(chunk)), counts)
        starts = np.cumsum(counts) - counts  # each account's first row in the block
        day = acc["start"][row_acc] + (np.arange(total) - starts[row_acc])
        u = rng.random((total, 4))
        level = _level(acc, row_acc, day, first)
        seats = acc["seats"][row_acc]
        expected = seats * level * weekday[(day - 1) % 7] * (0.85 + 0.3 * u[:, 0])
        regular = np.minimum(seats, np.floor(expected + u[:, 1]))
        stray = (u[:, 0] < 0.12).astype(np.float64)
        users = np.where(np.isnan(level), stray, regular)
        sessions_per_user = (0.4 + 1.2 * habits[:, 0])[row_acc]
        events_per_session = (6 + 22 * habits[:, 1])[row_acc]
        minutes_per_session = (5 + 20 * habits[:, 2])[row_acc]
        sessions = users + np.floor(users * sessions_per_user * u[:, 2])
        x = 0.8 + 0.4 * u[:, 3]
        events = np.floor(sessions * events_per_session * x).astype(np.int64)
        minutes = np.floor(sessions * minutes_per_session * x).astype(np.int64)
        users_i = users.astype(np.int64)
        _stats_fill(stats, acc, starts, row_acc, day, users_i, events, recent)
        ids = np.arange(next_id, next_id + total, dtype=np.int64)
        next_id += total
        yield UsageBlock(
            ids=ids,
            accounts=acc["number"][row_acc],
            ordinals=day,
            users=users_i,
            sessions=sessions.astype(np.int64),
            events=events,
            minutes=minutes,
        )


def _stats_fill(
    stats: dict[int, UsageStats],
    acc: dict[str, np.ndarray],
    starts: np.ndarray,
    row_acc: np.ndarray,
    day: np.ndarray,
    users: np.ndarray,
    events: np.ndarray,
    recent: int,
) -> None:
    counts = acc["days"]
    n = len(counts)
    events_sum = np.bincount(row_acc, weights=events, minlength=n)
    active = users > 0
    first_active = np.full(n, _NONE_ORDINAL, dtype=np.int64)
    np.minimum.at(first_active, row_acc[active], day[active])
    last_active = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_active, row_acc[active], day[active])
    peak = np.zeros(n, dtype=np.int64)
    late = day >= recent
    np.maximum.at(peak, row_acc[late], users[late])
    for i, number in enumerate(acc["number"].tolist()):
        st = stats[number] = UsageStats(days=int(counts[i]), events=int(events_sum[i]))
        if last_active[i] >= 0:
            st.first_active = date.fromordinal(int(first_active[i]))
            st.last_active = date.fromordinal(int(last_active[i]))
            st.peak_users_30d = int(peak[i])


def usage_rows(ctx: SeedContext, stats: dict[int, UsageStats]) -> Iterator[tuple]:
    """Tuples in USAGE_COLUMNS order (the SQLite path); fills ``stats`` as it goes."""
    dates: dict[int, date] = {}
    for block in usage_blocks(ctx, stats):
        for ordinal in np.unique(block.ordinals).tolist():
            if ordinal not in dates:
                dates[ordinal] = date.fromordinal(ordinal)
        columns = (
            block.ids.tolist(),
            block.accounts.tolist(),
            [dates[o] for o in block.ordinals.tolist()],
            block.users.tolist(),
            block.sessions.tolist(),
            block.events.tolist(),
            block.minutes.tolist(),
        )
        for row in zip(*columns, strict=True):
            yield (*row, "seed")


def usage_copy_binary(
    ctx: SeedContext, stats: dict[int, UsageStats]
) -> Iterator[tuple[int, bytes]]:
    """The rows of ``usage_rows`` in PostgreSQL's binary COPY format, one block of bytes
    (and its row count) per ``CHUNK`` accounts, without the signature and trailer: no
    per-value work in Python, and PostgreSQL reads integers and dates without parsing."""
    for block in usage_blocks(ctx, stats):
        rows = np.empty(len(block), dtype=BINARY_ROW)
        rows["fields"] = len(USAGE_COLUMNS)
        for name, size in (("id", 8), ("account", 8), ("date", 4), ("source", 4)):
            rows[f"{name}_len"] = size
        for name in ("users", "sessions", "events", "minutes"):
            rows[f"{name}_len"] = 4
            rows[name] = getattr(block, name)
        rows["id"] = block.ids
        rows["account"] = block.accounts
        rows["date"] = block.ordinals - _PG_EPOCH
        rows["source"] = b"seed"
        yield len(block), rows.tobytes()
