"""Support-ticket SLA targets and breach maths, and the status machine. Pure: no ORM.

SLA targets by priority (minutes from ``opened_at``), the defaults of a typical
Zendesk SLA policy:

| priority | first response | resolution |
|---|---|---|
| urgent | 60 (1 h) | 480 (8 h) |
| high | 240 (4 h) | 1 440 (24 h) |
| normal | 480 (8 h) | 4 320 (72 h) |
| low | 1 440 (24 h) | 7 200 (120 h) |

Clocks run in calendar time and do not pause while a ticket is pending or on hold
(no business-hours calendar is modelled). A target is breached when the event came
after its due time, or has not come and the due time has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cs_platform.core.tickets import TICKET_STATUS_TRANSITIONS
from cs_platform.core.tickets import TicketPriority as P

SLA_TARGETS_MINUTES: dict[str, tuple[int, int]] = {
    P.URGENT: (60, 480),
    P.HIGH: (240, 1440),
    P.NORMAL: (480, 4320),
    P.LOW: (1440, 7200),
}


def sla_targets_for(priority: str) -> tuple[int, int]:
    """(first response, resolution) targets in minutes for ``priority``."""
    return SLA_TARGETS_MINUTES[priority]


def status_transition_allowed(current: str, new: str) -> bool:
    return new == current or new in TICKET_STATUS_TRANSITIONS.get(current, frozenset())


@dataclass(frozen=True)
class SlaState:
    first_response_due_at: datetime | None
    first_response_breached: bool
    resolution_due_at: datetime | None
    resolution_breached: bool

    @property
    def breached(self) -> bool:
        return self.first_response_breached or self.resolution_breached


def _breached(due: datetime | None, done_at: datetime | None, now: datetime) -> bool:
    if due is None:
        return False
    return (done_at or now) > due


def sla_state(
    *,
    opened_at: datetime,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    first_response_minutes: int | None,
    resolution_minutes: int | None,
    now: datetime,
) -> SlaState:
    """Due times and breaches as of ``now`` (a ticket without a target never breaches it)."""
    first_due = (
        opened_at + timedelta(minutes=first_response_minutes)
        if first_response_minutes is not None
        else None
    )
    resolution_due = (
        opened_at + timedelta(minutes=resolution_minutes)
        if resolution_minutes is not None
        else None
    )
    return SlaState(
        first_response_due_at=first_due,
        first_response_breached=_breached(first_due, first_response_at, now),
        resolution_due_at=resolution_due,
        resolution_breached=_breached(resolution_due, resolved_at, now),
    )
