"""Support-ticket reads for tools, scoped to the actor's accounts.

SLA breaches are computed in SQL as of the caller's clock (due = opened_at + target),
so ``breached_only`` pages correctly and never trusts a stale stored flag.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    Q,
    QuerySet,
    Value,
)

from cs_platform.core.actors import Actor
from cs_platform.core.contracts import cursor_decode, cursor_encode
from cs_platform.core.errors import NotFound, field_error
from cs_platform.core.tickets import TICKET_OPEN_STATUSES
from customers.selectors import account_list_for_actor
from integrations.models import SupportTicket

_MINUTE = Value(timedelta(minutes=1), output_field=DurationField())


def _due(target_field: str) -> ExpressionWrapper:
    if connection.vendor == "postgresql":
        target = ExpressionWrapper(F(target_field) * _MINUTE, output_field=DurationField())
    else:
        # SQLite stores a duration as integer microseconds and cannot multiply one by a
        # number: the product of the minutes and 60,000,000 is that duration already.
        target = ExpressionWrapper(
            F(target_field) * Value(60_000_000), output_field=DurationField()
        )
    return ExpressionWrapper(F("opened_at") + target, output_field=DateTimeField())


def _annotated(qs: QuerySet[SupportTicket]) -> QuerySet[SupportTicket]:
    # The connection's provider without loading (and decrypting) its credentials.
    return qs.annotate(
        mirror_provider=F("connection__provider"),
        first_response_due=_due("sla_first_response_minutes"),
        resolution_due=_due("sla_resolution_minutes"),
    )


def ticket_breached_q(now: datetime) -> Q:
    """Tickets whose first response or resolution came late or is overdue at ``now``."""
    return (
        Q(first_response_at__isnull=True, first_response_due__lt=now)
        | Q(first_response_at__gt=F("first_response_due"))
        | Q(resolved_at__isnull=True, resolution_due__lt=now)
        | Q(resolved_at__gt=F("resolution_due"))
    )


def ticket_get_for_actor(
    actor: Actor, ticket_id: int, *, for_update: bool = False
) -> SupportTicket:
    """One ticket of an account in the actor's scope; others look like missing ones."""
    qs = SupportTicket.objects.filter(account__in=account_list_for_actor(actor))
    if for_update:
        qs = qs.select_for_update(of=("self",)).select_related("account", "contact")
        ticket = qs.filter(pk=ticket_id).first()
    else:
        ticket = _annotated(qs).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(
            f"ticket {ticket_id} not found in your book of business",
            details={"field": "ticket_id", "ticket_id": ticket_id},
        )
    return ticket


def ticket_page_for_actor(
    actor: Actor,
    *,
    now: datetime,
    account_id: int | None = None,
    statuses: list[str] | None = None,
    priority: str | None = None,
    breached_only: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[SupportTicket], str | None]:
    """Newest-opened first, keyset-paged on (opened_at, id); one query per page."""
    qs = _annotated(SupportTicket.objects.filter(account__in=account_list_for_actor(actor)))
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if statuses:
        qs = qs.filter(status__in=statuses)
    if priority:
        qs = qs.filter(priority=priority)
    if breached_only:
        qs = qs.filter(ticket_breached_q(now))
    position: dict[str, Any] = cursor_decode(cursor, required_keys=("o", "i"))
    if position:
        try:
            opened = datetime.fromisoformat(str(position["o"]))
            last_id = int(position["i"])
        except (TypeError, ValueError):
            raise field_error("cursor", "is not a cursor returned by this tool") from None
        qs = qs.filter(Q(opened_at__lt=opened) | Q(opened_at=opened, id__lt=last_id))
    rows = list(qs.order_by("-opened_at", "-id")[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursor_encode({"o": rows[-1].opened_at.isoformat(), "i": rows[-1].pk})
    return rows, next_cursor


def sla_breaches_open_by_account(
    *, now: datetime, priorities: list[str], accounts: QuerySet
) -> QuerySet:
    """Per account, its open tickets overdue now (first response or resolution due time
    passed without it), one grouped query: counts, how many urgent/high, the oldest due
    ticket's opening time."""
    overdue_first = Q(first_response_at__isnull=True, first_response_due__lt=now)
    overdue_resolution = Q(resolved_at__isnull=True, resolution_due__lt=now)
    return (
        _annotated(
            SupportTicket.objects.filter(
                account__in=accounts, status__in=TICKET_OPEN_STATUSES, priority__in=priorities
            )
        )
        .filter(overdue_first | overdue_resolution)
        .order_by()
        .values("account_id", "account__owner_id")
        .annotate(
            breached=Count("id"),
            unanswered=Count("id", filter=overdue_first),
            urgent_or_high=Count("id", filter=Q(priority__in=["urgent", "high"])),
            oldest_opened_at=Min("opened_at"),
        )
    )
