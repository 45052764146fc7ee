"""Shared pieces of the input aggregation: keys, the time windows, the per-account record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.utils import timezone

from cs_platform.core import clock
from customers.models.choices import PaymentStatus
from health.scoring.compiled_bands import float_text, json_scalar

# A snapshot is "current" when its as_of is this close to now: current-state columns
# (payment status, seats, feature adoption) then describe it.
CURRENT_STATE_TOLERANCE = timedelta(hours=36)
# The payment statuses that are a measurement (`unknown` is missing data, not a value).
PAYMENT_STATUSES = (PaymentStatus.CURRENT, PaymentStatus.LATE, PaymentStatus.DELINQUENT)

# Input keys this module provides: the default scorecard's, plus one the churn model reads.
SCORECARD_INPUT_KEYS = (
    "usage_trend_pct",
    "active_user_share",
    "feature_breadth",
    "tickets_per_100_seats_90d",
    "high_severity_ticket_share_90d",
    "sla_breaches_90d",
    "nps_answer_avg_180d",
    "csat_avg_180d",
    "payment_status",
    "days_to_renewal",
    "onboarding_progress",
    "days_since_last_activity",
)
EXTRA_INPUT_KEYS = ("open_high_severity_tickets",)
PROVIDED_INPUT_KEYS = SCORECARD_INPUT_KEYS + EXTRA_INPUT_KEYS


class AccountInputs:
    """One account's inputs: ``values`` feeds the scorer; ``records_json()`` is what the
    snapshot stores (each input with its own ``as_of``, or ``missing`` and why).

    The stored JSON is written as each input is put, from remembered texts (shared
    moments, float reprs): building 13 dicts per account and encoding them cost more
    than scoring it. ``records`` gives the same document as dicts, for reading.
    """

    __slots__ = ("account_id", "values", "_parts")

    def __init__(self, account_id: int) -> None:
        self.account_id = account_id
        self.values: dict[str, Any] = {}
        self._parts: dict[str, str] = {}

    def put(self, key: str, value: Any, as_of: Any = None, missing: str | None = None) -> None:
        self.values[key] = value
        if value is None:
            reason = json.dumps(missing or "no_data")
            self._parts[key] = f'"{key}":{{"value":null,"as_of":null,"missing":{reason}}}'
        else:
            moment = iso(as_of)
            shown = "null" if moment is None else f'"{moment}"'
            text = float_text(value) if type(value) is float else json_scalar(value)
            self._parts[key] = f'"{key}":{{"value":{text},"as_of":{shown}}}'

    def records_json(self) -> str:
        return "{" + ",".join(self._parts.values()) + "}"

    @property
    def records(self) -> dict[str, dict[str, Any]]:
        return json.loads(self.records_json())


@dataclass(frozen=True)
class Windows:
    as_of: datetime
    day: date
    usage_last_start: date
    usage_prev_start: date
    tickets_since: datetime
    answers_since: datetime
    is_current: bool

    @classmethod
    def for_as_of(cls, as_of: datetime, *, now: datetime | None = None) -> Windows:
        if timezone.is_naive(as_of):
            raise ValueError("as_of must be timezone-aware")
        now = now or clock.now()
        day = as_of.astimezone(timezone.get_default_timezone()).date()
        return cls(
            as_of=as_of,
            day=day,
            usage_last_start=day - timedelta(days=29),
            usage_prev_start=day - timedelta(days=59),
            tickets_since=as_of - timedelta(days=90),
            answers_since=as_of - timedelta(days=180),
            is_current=abs(now - as_of) <= CURRENT_STATE_TOLERANCE,
        )


_ISO_SEEN: dict[int, tuple[Any, str]] = {}


def iso(value: Any) -> str | None:
    if value is None:
        return None
    # Most inputs of an account carry one of a few shared moments (the window end, as_of):
    # those are formatted once. Keyed by identity, with the object kept so an id is never
    # reused for another value while cached.
    seen = _ISO_SEEN.get(id(value))
    if seen is not None and seen[0] is value:
        return seen[1]
    fmt = getattr(value, "isoformat", None)
    text = fmt() if fmt is not None else str(value)
    if len(_ISO_SEEN) >= 64:
        _ISO_SEEN.clear()
    _ISO_SEEN[id(value)] = (value, text)
    return text


def to_date(value: Any) -> date | None:
    if value is None or type(value) is date:
        return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.date()
        # The default (settings) zone, not the per-request one: fetching the active zone
        # costs an asgiref lookup per call, thousands of times per chunk.
        return value.astimezone(timezone.get_default_timezone()).date()
    return date.fromisoformat(str(value)[:10])


def to_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else aware(value)
    return aware(datetime.fromisoformat(str(value)))


def aware(value: datetime) -> datetime:
    # SQLite hands back naive UTC text for aware columns (USE_TZ stores UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
