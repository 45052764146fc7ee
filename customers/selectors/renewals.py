"""Reads over renewals that other reads annotate accounts with."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from cs_platform.core.actors import Actor
from cs_platform.core.errors import NotFound
from customers.models import Renewal, RenewalStage
from customers.selectors.scope import account_list_for_actor


def next_renewal(field: str = "renewal_date", *, account: str = "pk") -> Subquery:
    """`field` of the account's next open renewal (not closed; soonest, then oldest id),
    as one correlated subquery for annotating account querysets."""
    upcoming = (
        Renewal.objects.filter(account_id=OuterRef(account))
        .exclude(stage=RenewalStage.CLOSED)
        .order_by("renewal_date", "id")
    )
    return Subquery(upcoming.values(field)[:1])


def renewal_get_for_actor(actor: Actor, renewal_id: int, *, for_update: bool = False) -> Renewal:
    """One renewal of an account in the actor's book; others look missing."""
    qs = Renewal.objects.select_related("account").filter(account__in=account_list_for_actor(actor))
    if for_update:
        qs = qs.select_for_update(of=("self",))
    renewal = qs.filter(pk=renewal_id).first()
    if renewal is None:
        raise NotFound(
            f"renewal {renewal_id} not found in your book of business",
            details={"field": "renewal_id"},
        )
    return renewal
