"""Deterministic sandbox data: the same config gives byte-identical records.

Matched records use ``customers.demo_identity`` so a sync maps them onto the seeded demo
accounts 1..N; a few "orphan" records use ids and domains no demo account has, so a sync
has unmatched records to report. Randomness comes from ``random.Random`` seeded with
strings (stable across runs and platforms) or from an integer hash.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from customers.demo_identity import DemoCompany, demo_company, demo_contact_email
from integrations.sandbox.config import SandboxConfig

FEATURES = (
    "dashboards",
    "reports",
    "exports",
    "alerts",
    "integrations",
    "api",
    "automation",
    "sso",
    "mobile",
    "collaboration",
)
TRENDS = ("growing", "flat", "declining", "quiet")
_TREND_WEIGHTS = (3, 4, 2, 1)
SESSION_EVENT = "Session Started"
FEATURE_EVENT = "Feature Used"
SESSION_EVERY = 5  # event k of an account-day is a session start when k % 5 == 0
QUIET_DAYS = 14  # a "quiet" account sends nothing in its last QUIET_DAYS days
ORPHAN_ZENDESK_ORG_BASE = 369_000_000_000
ZENDESK_USER_BASE = 9_000_000_000
_MASK64 = (1 << 64) - 1


def mix(*parts: int) -> int:
    """A fast 64-bit integer hash (splitmix64 steps) for per-event choices."""
    h = 0x9E3779B97F4A7C15
    for part in parts:
        h = (h ^ (part & _MASK64)) * 0xBF58476D1CE4E5B9 & _MASK64
        h = (h ^ (h >> 31)) * 0x94D049BB133111EB & _MASK64
        h ^= h >> 29
    return h


def rng(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_of(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def hex_id(seed: int, *parts: object) -> str:
    """A 24-hex-digit id shaped like Intercom's object ids."""
    text = ":".join(str(p) for p in (seed, *parts))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class UsageSource:
    """Who sends Mixpanel events: a demo account (number >= 1) or an orphan (< 0)."""

    number: int
    account_id: str
    users: tuple[str, ...]
    trend: str
    size: float


class Dataset:
    """Everything derived from one config; provider stores copy from it at start-up."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config.resolved()
        self.seed = self.config.seed
        assert self.config.today is not None
        self.today: date = self.config.today
        self.first_day: date = self.today - timedelta(days=self.config.days)
        self.start_epoch = epoch_of(self.first_day)
        self.end_epoch = epoch_of(self.today)  # no generated record is newer than this

    # --- accounts and people ------------------------------------------------------

    @property
    def account_numbers(self) -> range:
        return range(1, self.config.accounts + 1)

    @property
    def orphan_numbers(self) -> range:
        """Orphans are numbered 1..k (k <= 50); they match no demo account."""
        return range(1, min(50, max(2, self.config.accounts // 25)) + 1)

    def company(self, number: int) -> DemoCompany:
        return demo_company(number)

    def contacts_per_account(self, number: int) -> int:
        return rng(self.seed, "contacts", number).randint(2, 5)

    def contact_emails(self, number: int) -> list[str]:
        return [demo_contact_email(number, i) for i in range(self.contacts_per_account(number))]

    def orphan_email(self, orphan: int) -> str:
        return f"visitor.{orphan}@unmatched-{orphan:03d}.example"

    def trend(self, number: int) -> str:
        return rng(self.seed, "trend", number).choices(TRENDS, _TREND_WEIGHTS)[0]

    def size(self, number: int) -> float:
        """Relative usage volume of an account (0.5-2.0)."""
        return round(rng(self.seed, "size", number).uniform(0.5, 2.0), 3)

    # --- Mixpanel volume ----------------------------------------------------------

    @cached_property
    def usage_sources(self) -> tuple[UsageSource, ...]:
        sources = [
            UsageSource(
                n,
                demo_company(n).mixpanel_group_id,
                tuple(self.contact_emails(n)),
                self.trend(n),
                self.size(n),
            )
            for n in self.account_numbers
        ]
        sources += [
            UsageSource(-j, f"acct-x{j:04d}", (self.orphan_email(j),), "flat", 0.5)
            for j in self.orphan_numbers
        ]
        return tuple(sources)

    @property
    def usage_days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(self.config.days)]

    def trend_factor(self, trend: str, day_index: int) -> float:
        days = self.config.days
        t = day_index / (days - 1) if days > 1 else 1.0
        if trend == "growing":
            return 0.4 + 1.2 * t
        if trend == "declining":
            return 1.6 - 1.3 * t
        if trend == "quiet":
            return 0.0 if day_index >= days - QUIET_DAYS else 0.8
        return 1.0

    def daily_events(self, source: UsageSource, day_index: int) -> int:
        """Events sent by ``source`` on usage day ``day_index`` (0 = first day)."""
        day = self.first_day + timedelta(days=day_index)
        weekday = 0.35 if day.weekday() >= 5 else 1.0
        noise = 0.85 + (mix(self.seed, source.number, day_index) % 3000) / 10000
        mean = self.config.events_per_day * source.size * weekday * noise
        return int(mean * self.trend_factor(source.trend, day_index) + 0.5)

    def day_indexes(self, from_date: date, to_date: date) -> range:
        lo = max((from_date - self.first_day).days, 0)
        hi = min((to_date - self.first_day).days, self.config.days - 1)
        return range(lo, hi + 1)

    def event_count(
        self,
        from_date: date,
        to_date: date,
        *,
        account_id: str | None = None,
        events: frozenset[str] | None = None,
    ) -> int:
        """How many events an export of ``from_date..to_date`` (inclusive) returns."""
        total = 0
        for source in self.usage_sources:
            if account_id is not None and source.account_id != account_id:
                continue
            for d in self.day_indexes(from_date, to_date):
                count = self.daily_events(source, d)
                sessions = (count + SESSION_EVERY - 1) // SESSION_EVERY
                if events is None:
                    total += count
                else:
                    total += sessions if SESSION_EVENT in events else 0
                    total += count - sessions if FEATURE_EVENT in events else 0
        return total

    # --- Zendesk ------------------------------------------------------------------

    def zendesk_user_id(self, number: int, contact_index: int) -> int:
        return ZENDESK_USER_BASE + number * 100 + contact_index

    def orphan_org_id(self, orphan: int) -> int:
        return ORPHAN_ZENDESK_ORG_BASE + orphan

    # --- Intercom -----------------------------------------------------------------

    def intercom_contact_id(self, number: int, contact_index: int) -> str:
        return hex_id(self.seed, "ic-contact", number, contact_index)

    def when(self, r: random.Random, *, max_age_days: int | None = None) -> int:
        """A random moment inside the data window (optionally within the last days)."""
        lo = self.start_epoch
        if max_age_days is not None:
            lo = max(lo, self.end_epoch - max_age_days * 86400)
        return r.randint(lo, self.end_epoch - 3600)
