"""The portfolio list: filtered, keyset-paginated, with totals over the whole filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum

from cs_platform.core.actors import Actor
from customers.models import Account, Renewal, RenewalStage
from customers.selectors import account_list_for_actor
from health.models import HealthScore
from integrations.models import OPEN_TICKET_STATUSES, SupportTicket


@dataclass(frozen=True)
class AccountFilters:
    tier: str | None = None
    lifecycle_stage: str | None = None
    status: str | None = None
    owner_id: int | None = None
    health_band: str | None = None
    renewal_within_days: int | None = None
    search: str | None = None


def _annotated(qs: QuerySet[Account], *, today: date) -> QuerySet[Account]:
    latest = HealthScore.objects.filter(account_id=OuterRef("pk"), is_latest=True)
    next_renewal = (
        Renewal.objects.filter(account_id=OuterRef("pk"))
        .exclude(stage=RenewalStage.CLOSED)
        .order_by("renewal_date", "id")
    )
    open_tickets = (
        SupportTicket.objects.filter(account_id=OuterRef("pk"), status__in=OPEN_TICKET_STATUSES)
        .order_by()
        .values("account_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return qs.annotate(
        health_score=Subquery(latest.values("score")[:1]),
        health_band=Subquery(latest.values("band")[:1]),
        health_as_of=Subquery(latest.values("as_of")[:1]),
        next_renewal_date=Subquery(next_renewal.values("renewal_date")[:1]),
        open_ticket_count=Subquery(open_tickets[:1]),
    )


def account_filtered_for_actor(
    actor: Actor, filters: AccountFilters, *, today: date
) -> QuerySet[Account]:
    qs = account_list_for_actor(actor)
    if filters.tier:
        qs = qs.filter(tier=filters.tier)
    if filters.lifecycle_stage:
        qs = qs.filter(lifecycle_stage=filters.lifecycle_stage)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.owner_id is not None:
        qs = qs.filter(owner_id=filters.owner_id)
    if filters.search:
        qs = qs.filter(Q(name__icontains=filters.search) | Q(domain__icontains=filters.search))
    if filters.health_band:
        band_q = Q(band=filters.health_band, is_latest=True)
        if filters.health_band == "unknown":
            # No snapshot at all is "unknown" too: the score was never computable.
            qs = qs.filter(
                Q(health_scores__in=HealthScore.objects.filter(band_q))
                | ~Q(pk__in=HealthScore.objects.filter(is_latest=True).values("account_id"))
            )
        else:
            qs = qs.filter(pk__in=HealthScore.objects.filter(band_q).values("account_id"))
    if filters.renewal_within_days is not None:
        horizon = today + timedelta(days=filters.renewal_within_days)
        qs = qs.filter(
            pk__in=Renewal.objects.exclude(stage=RenewalStage.CLOSED)
            .filter(renewal_date__gte=today, renewal_date__lte=horizon)
            .values("account_id")
        )
    return qs


def account_portfolio_totals(qs: QuerySet[Account]) -> dict[str, Any]:
    """Totals over the whole filtered set (one aggregate query), not over one page."""
    latest = HealthScore.objects.filter(account_id=OuterRef("pk"), is_latest=True)
    agg = (
        qs.order_by()
        .annotate(_band=Subquery(latest.values("band")[:1]))
        .aggregate(
            accounts=Count("id"),
            arr_total=Sum("arr"),
            green=Count("id", filter=Q(_band="green")),
            yellow=Count("id", filter=Q(_band="yellow")),
            red=Count("id", filter=Q(_band="red")),
            unknown=Count("id", filter=Q(_band="unknown") | Q(_band__isnull=True)),
        )
    )
    return {
        "accounts": agg["accounts"],
        "arr_total": agg["arr_total"] or Decimal("0"),
        "by_health_band": {k: agg[k] for k in ("green", "yellow", "red", "unknown")},
    }


def account_page(
    qs: QuerySet[Account], *, after: tuple[str, int] | None, limit: int, today: date
) -> tuple[list[Account], bool]:
    """Keyset page ordered by (name, id): no OFFSET, no COUNT per page."""
    page_qs = _annotated(qs, today=today).select_related("owner").order_by("name", "id")
    if after is not None:
        name, pk = after
        page_qs = page_qs.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
    rows = list(page_qs[: limit + 1])
    return rows[:limit], len(rows) > limit


__all__ = [
    "AccountFilters",
    "account_filtered_for_actor",
    "account_page",
    "account_portfolio_totals",
]
