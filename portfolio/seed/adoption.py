"""Per-account feature adoption, consistent with the usage rows it summarises.

Breadth follows the archetype (growing accounts use most of the product, new ones a few
features); declining accounts abandon some features, quiet and churned ones stop using
all of them when their usage stops. Feature events are a share of the account's events.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from customers.models import PlanStatus
from portfolio.seed.catalogue import FEATURES
from portfolio.seed.context import SeedContext
from portfolio.seed.profiles import AccountProfile, Archetype
from portfolio.seed.rng import stream
from portfolio.seed.usage import UsageStats

A = Archetype
BREADTH = {
    A.GROWING: (6, 10),
    A.FLAT: (4, 8),
    A.DECLINING: (3, 7),
    A.GONE_QUIET: (3, 6),
    A.CHURNED: (2, 5),
}
ONBOARDING_BREADTH = {
    PlanStatus.NOT_STARTED: (1, 1),
    PlanStatus.IN_PROGRESS: (1, 4),
    PlanStatus.STALLED: (1, 2),
    PlanStatus.COMPLETED: (3, 5),
}


def _breadth(p: AccountProfile, r: random.Random) -> int:
    if p.archetype == A.ONBOARDING:
        assert p.plan_status is not None
        return r.randint(*ONBOARDING_BREADTH[p.plan_status])
    lo, hi = BREADTH[p.archetype]
    return r.randint(lo + 1, hi + 1) if not p.visible else r.randint(lo, hi)


def _pick(r: random.Random, k: int) -> list[int]:
    """k distinct feature indexes, popular features more likely (weighted, no repeats)."""
    pool = list(range(len(FEATURES)))
    chosen: list[int] = []
    while pool and len(chosen) < k:
        weights = [FEATURES[i].popularity for i in pool]
        x = r.random() * sum(weights)
        for pos, w in enumerate(weights):
            x -= w
            if x < 0 or pos == len(pool) - 1:
                chosen.append(pool.pop(pos))
                break
    return chosen


def _last_used(p: AccountProfile, st: UsageStats, r: random.Random, today: date) -> date:
    assert st.last_active is not None
    last = st.last_active - timedelta(days=r.randint(0, 6))
    if p.archetype == A.DECLINING and r.random() < 0.4:  # an abandoned feature
        last = today - timedelta(days=r.randint(35, 150))
    first = st.first_active or last
    return max(first, min(last, st.last_active))


def adoption_rows(ctx: SeedContext, stats: dict[int, UsageStats]) -> Iterator[dict[str, Any]]:
    row_id = 0
    recent = ctx.cal.today - timedelta(days=30)
    for p in ctx.profiles:
        st = stats.get(p.number)
        if st is None or st.last_active is None or st.first_active is None:
            continue  # no usage yet, so nothing adopted
        r = stream(ctx.seed, "adoption", p.number)
        features = _pick(r, _breadth(p, r))
        weights = [FEATURES[i].popularity * r.uniform(0.5, 1.5) for i in features]
        total = sum(weights)
        feature_events = st.events * r.uniform(0.4, 0.8)  # the rest are sessions and page views
        earliest = p.usage_start
        for i, w in zip(features, weights, strict=True):
            last = _last_used(p, st, r, ctx.cal.today)
            # Older accounts adopted features long before the usage window began.
            span = max(0, (last - earliest).days)
            first = earliest + timedelta(days=r.randint(0, min(span, p.ttv_days + 200)))
            users = 0
            if last >= recent and st.peak_users_30d:
                users = max(1, int(st.peak_users_30d * r.uniform(0.2, 0.9)))
            row_id += 1
            yield {
                "id": row_id,
                "account_id": p.number,
                "feature_id": i + 1,
                "first_used_on": min(first, last),
                "last_used_on": last,
                "events_total": int(feature_events * w / total),
                "users_last_30d": users,
            }
