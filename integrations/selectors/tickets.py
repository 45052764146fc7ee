from __future__ import annotations

from typing import Any

from django.db.models import Count, Min, Q

from cs_platform.core.tickets import TICKET_OPEN_STATUSES
from integrations.models import SupportTicket, TicketPriority


def ticket_open_summary_for_account(account_id: int, *, sample: int = 5) -> dict[str, Any]:
    """Open-ticket counts by priority and the oldest few open tickets (two queries)."""
    open_q = Q(account_id=account_id, status__in=TICKET_OPEN_STATUSES)
    agg = SupportTicket.objects.filter(open_q).aggregate(
        total=Count("id"),
        urgent=Count("id", filter=Q(priority=TicketPriority.URGENT)),
        high=Count("id", filter=Q(priority=TicketPriority.HIGH)),
        normal=Count("id", filter=Q(priority=TicketPriority.NORMAL)),
        low=Count("id", filter=Q(priority=TicketPriority.LOW)),
        sla_breached=Count("id", filter=Q(sla_breached=True)),
        oldest_opened_at=Min("opened_at"),
    )
    oldest = list(
        SupportTicket.objects.filter(open_q)
        .order_by("opened_at", "id")
        .values("id", "external_id", "subject", "priority", "status", "opened_at", "sla_breached")[
            :sample
        ]
    )
    return {"counts": agg, "oldest": oldest}
