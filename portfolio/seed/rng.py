"""Deterministic randomness and the calendar every demo generator shares.

Each generator draws from its own stream per account, seeded with a string built from the
command's seed (``random.Random("42:usage:17")``; string seeds hash with SHA-512, stable
across runs and platforms). Account ``n`` therefore looks the same whatever else is
generated, and adding a generator never shifts another's draws.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TypeVar

T = TypeVar("T")

WINDOW_DAYS = 180  # days of daily usage before the anchor date
CENT = Decimal("0.01")


def stream(seed: int, domain: str, number: int) -> random.Random:
    """The random stream of one generator (``domain``) for one account (``number``)."""
    return random.Random(f"{seed}:{domain}:{number}")


def weighted(r: random.Random, options: Sequence[tuple[T, float]]) -> T:
    total = sum(w for _, w in options)
    x = r.random() * total
    for value, weight in options:
        x -= weight
        if x < 0:
            return value
    return options[-1][0]


def log_uniform(r: random.Random, lo: float, hi: float) -> float:
    return math.exp(r.uniform(math.log(lo), math.log(hi)))


def poisson(r: random.Random, mean: float) -> int:
    """Knuth's method for small means, a rounded normal for large ones."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(r.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= r.random()
        if p <= limit:
            return k
        k += 1


def clamp(value: float, lo: float, hi: float) -> float:
    return lo if value < lo else hi if value > hi else value


def money(value: float) -> Decimal:
    """An amount rounded to whole tens, as list prices are."""
    return Decimal(round(value / 10) * 10).quantize(CENT)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year + years, day=28)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


@dataclass(frozen=True)
class Calendar:
    """The anchor of one seed run: ``today`` fixes every date and timestamp."""

    today: date

    # Cached: generators read these for every row (a frozen dataclass still has a
    # __dict__ for cached_property to fill).
    @cached_property
    def now(self) -> datetime:
        """Midnight UTC at the start of ``today``: nothing generated is newer."""
        return at(self.today, 0)

    @cached_property
    def first_day(self) -> date:
        return self.today - timedelta(days=WINDOW_DAYS)

    @cached_property
    def last_day(self) -> date:
        return self.today - timedelta(days=1)

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def moment(self, r: random.Random, lo: date, hi: date, *, business: bool = True) -> datetime:
        """A moment on a day in ``lo..hi`` (inclusive), in business hours when asked."""
        span = max((hi - lo).days, 0)
        day = lo + timedelta(days=r.randint(0, span))
        hour = r.randint(8, 17) if business else r.randint(0, 23)
        moment = at(day, hour, r.randint(0, 59))
        return min(moment, self.latest_moment)

    @cached_property
    def latest_moment(self) -> datetime:
        return self.now - timedelta(minutes=1)
