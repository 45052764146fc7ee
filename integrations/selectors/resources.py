"""Actor-scoped support tickets for the REST API: a CSM sees only their book's tickets."""

from __future__ import annotations

from django.db.models import QuerySet

from cs_platform.core.actors import Actor
from customers.selectors import account_list_for_actor
from integrations.models import SupportTicket


def ticket_list_for_actor(actor: Actor) -> QuerySet[SupportTicket]:
    return SupportTicket.objects.filter(account__in=account_list_for_actor(actor))
