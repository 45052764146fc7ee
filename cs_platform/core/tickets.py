"""The support-ticket vocabulary every app shares, written once: statuses (Zendesk's),
which of them are open and which resolved, the moves Zendesk allows, and priorities.

The ticket model, its status machine, the provider mappings, the tool contracts, the
account list and the health engine's hand-written SQL all read these; nobody types the
strings again. (`integrations.models` re-exports the two choice classes.)
"""

from __future__ import annotations

from django.db import models


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    ON_HOLD = "hold", "On hold"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"


class TicketPriority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


S = TicketStatus
TICKET_OPEN_STATUSES: tuple[str, ...] = (S.NEW, S.OPEN, S.PENDING, S.ON_HOLD)
TICKET_RESOLVED_STATUSES: frozenset[str] = frozenset({S.SOLVED, S.CLOSED})
# Zendesk's rules: "closed" is final; "new" is only ever the first status; a solved
# ticket may be reopened or closed.
TICKET_STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.OPEN, S.PENDING, S.ON_HOLD, S.SOLVED}),
    S.OPEN: frozenset({S.PENDING, S.ON_HOLD, S.SOLVED}),
    S.PENDING: frozenset({S.OPEN, S.ON_HOLD, S.SOLVED}),
    S.ON_HOLD: frozenset({S.OPEN, S.PENDING, S.SOLVED}),
    S.SOLVED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset(),
}
# Priorities that make a ticket count as severe for health and churn inputs.
TICKET_SEVERE_PRIORITIES: tuple[str, ...] = (TicketPriority.HIGH, TicketPriority.URGENT)
del S
