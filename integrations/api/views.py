"""`/api/v1/tickets/`: support tickets, read only. Tickets are created and mirrored to
Zendesk by the `handle_support_ticket` tool and by the provider syncs."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view

from cs_platform.core.actors import Actor
from cs_platform.core.api import filters as f
from cs_platform.core.api.permissions import ScopedReadViewSet
from integrations.api.serializers import SupportTicketSerializer
from integrations.models import TicketPriority, TicketStatus
from integrations.selectors.resources import ticket_list_for_actor


@extend_schema_view(
    list=extend_schema(summary="List support tickets", tags=["tickets"]),
    retrieve=extend_schema(summary="One support ticket", tags=["tickets"]),
)
class SupportTicketViewSet(ScopedReadViewSet):
    serializer_class = SupportTicketSerializer
    resource_label = "ticket"
    keyset_ordering = ("-opened_at", "-id")
    query_filters = (
        f.QueryFilter("account", f.integer(), "account_id", "Only this account's tickets."),
        f.QueryFilter("status", f.choice(TicketStatus), description="Ticket status."),
        f.QueryFilter("priority", f.choice(TicketPriority), description="Ticket priority."),
        f.QueryFilter("opened_since", f.iso_datetime(), "opened_at__gte", "Opened at/after."),
    )

    def scoped_queryset(self, actor: Actor) -> QuerySet:
        return ticket_list_for_actor(actor)
