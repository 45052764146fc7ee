"""Reads over renewals that other reads annotate accounts with."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from customers.models import Renewal, RenewalStage


def next_renewal(field: str = "renewal_date", *, account: str = "pk") -> Subquery:
    """`field` of the account's next open renewal (not closed; soonest, then oldest id),
    as one correlated subquery for annotating account querysets."""
    upcoming = (
        Renewal.objects.filter(account_id=OuterRef(account))
        .exclude(stage=RenewalStage.CLOSED)
        .order_by("renewal_date", "id")
    )
    return Subquery(upcoming.values(field)[:1])
