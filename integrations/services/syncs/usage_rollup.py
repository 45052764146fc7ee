"""Rolling raw product events into per-day usage, while they stream. Pure: no ORM.

Per (usage key, UTC day): events, distinct users and distinct sessions; per (usage key,
day, feature): events of the feature event. A usage key is what the event offers to find
its account: the account property (e.g. Mixpanel group ``account_id``) or, without one,
the e-mail domain of ``distinct_id``. Events repeating an ``$insert_id`` already seen in
this export window are Mixpanel's duplicates and are dropped.

A session is a (user, session id) pair: a session belongs to one person, and it keeps
``sessions >= active users`` true by construction (an event without a session id counts
as one session of its user that day).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from integrations.services.syncs.matching import email_domain

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MS_THRESHOLD = 100_000_000_000  # epochs above this are milliseconds

UsageKey = tuple[str, str]  # ("group", value) or ("domain", value)


@dataclass(frozen=True)
class RollupOptions:
    account_property: str = "account_id"
    session_property: str = "session_id"
    feature_event: str = "Feature Used"
    feature_property: str = "feature"


@dataclass
class DayUsage:
    events: int = 0
    users: set[str] = field(default_factory=set)
    sessions: set[tuple[str, Any]] = field(default_factory=set)

    def merge(self, other: DayUsage) -> None:
        self.events += other.events
        self.users |= other.users
        self.sessions |= other.sessions


class UsageRollup:
    def __init__(self, options: RollupOptions | None = None) -> None:
        self.options = options or RollupOptions()
        self.days: dict[tuple[UsageKey, int], DayUsage] = {}
        self.features: defaultdict[tuple[UsageKey, int, str], int] = defaultdict(int)
        self.events_by_key: defaultdict[UsageKey, int] = defaultdict(int)
        self.seen: set[str] = set()
        self.read = 0
        self.duplicates = 0
        self.invalid: list[tuple[str, str]] = []  # (insert id or "?", reason)

    def add(self, event: dict[str, Any]) -> None:
        self.read += 1
        props = event.get("properties")
        if not isinstance(props, dict):
            self.invalid.append(("?", "no properties"))
            return
        insert_id = props.get("$insert_id")
        if insert_id is not None:
            if insert_id in self.seen:
                self.duplicates += 1
                return
            self.seen.add(insert_id)
        stamp = props.get("time")
        user = props.get("distinct_id")
        if not isinstance(stamp, int | float) or user in (None, ""):
            self.invalid.append((str(insert_id or "?"), "time or distinct_id missing"))
            return
        if stamp > _MS_THRESHOLD:
            stamp /= 1000
        options = self.options
        group = props.get(options.account_property)
        if group not in (None, ""):
            key: UsageKey = ("group", str(group))
        else:
            domain = email_domain(user)
            if domain is None:
                self.invalid.append((str(insert_id or "?"), "no account property, no e-mail"))
                return
            key = ("domain", domain)
        day = int(stamp // 86400)
        usage = self.days.get((key, day))
        if usage is None:
            usage = self.days[(key, day)] = DayUsage()
        usage.events += 1
        usage.users.add(user)
        usage.sessions.add((user, props.get(options.session_property)))
        self.events_by_key[key] += 1
        if event.get("event") == options.feature_event:
            feature = props.get(options.feature_property)
            if feature not in (None, ""):
                self.features[(key, day, str(feature))] += 1

    def keys(self) -> set[UsageKey]:
        return set(self.events_by_key)


def day_of(day_number: int) -> date:
    return date.fromordinal(_EPOCH_ORDINAL + day_number)


def days_between(first: date, last: date, step: int) -> list[tuple[date, date]]:
    """``first..last`` cut into windows of ``step`` days (inclusive bounds)."""
    windows = []
    start = first
    while start <= last:
        end = min(start + timedelta(days=step - 1), last)
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows
