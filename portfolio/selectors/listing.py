"""The portfolio list: filtered, keyset-paginated, with totals over the whole filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from cs_platform.core.actors import Actor
from cs_platform.core.tickets import TICKET_OPEN_STATUSES
from customers.models import CTA, OPEN_CTA, Account, Renewal, RenewalStage
from customers.selectors import account_list_for_actor
from customers.selectors.money import reporting_currency
from customers.selectors.renewals import next_renewal
from health.models import HealthScore
from health.selectors.snapshots import latest_health
from integrations.models import SupportTicket


@dataclass(frozen=True)
class AccountFilters:
    tier: str | None = None
    lifecycle_stage: str | None = None
    status: str | None = None
    owner_id: int | None = None
    health_band: str | None = None
    renewal_within_days: int | None = None
    search: str | None = None


def _count_per_account(qs: QuerySet) -> Coalesce:
    counted = qs.order_by().values("account_id").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted[:1], output_field=IntegerField()), Value(0))


def account_signals_annotate(
    qs: QuerySet[Account], *, open_ctas: bool = False, open_tickets: bool = False
) -> QuerySet[Account]:
    """What every account list shows beside an account: its latest health (`health_score`,
    `health_band`, `health_coverage` — the share of scorecard weight backed by data —
    `health_as_of`), its next open renewal (`next_renewal_date`) and, when
    asked, its open CTAs and tickets (`open_cta_count`, `open_ticket_count`). Correlated
    subqueries: one SELECT per page whatever its size."""
    annotations = {
        "health_score": latest_health("score"),
        "health_band": latest_health("band"),
        "health_coverage": latest_health("coverage"),
        "health_as_of": latest_health("as_of"),
        "next_renewal_date": next_renewal("renewal_date"),
    }
    if open_ctas:
        mine = CTA.objects.filter(OPEN_CTA, account_id=OuterRef("pk"))
        annotations["open_cta_count"] = _count_per_account(mine)
    if open_tickets:
        mine = SupportTicket.objects.filter(
            account_id=OuterRef("pk"), status__in=TICKET_OPEN_STATUSES
        )
        annotations["open_ticket_count"] = _count_per_account(mine)
    return qs.annotate(**annotations)


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
    agg = (
        qs.order_by()
        .annotate(_band=latest_health("band"))
        .aggregate(
            accounts=Count("id"),
            arr_total=Sum("arr_reporting"),
            without_rate=Count("id", filter=Q(arr_reporting__isnull=True)),
            green=Count("id", filter=Q(_band="green")),
            yellow=Count("id", filter=Q(_band="yellow")),
            red=Count("id", filter=Q(_band="red")),
            unknown=Count("id", filter=Q(_band="unknown") | Q(_band__isnull=True)),
            insufficient_data=Count("id", filter=Q(_band="insufficient_data")),
        )
    )
    return {
        "accounts": agg["accounts"],
        "arr_total": agg["arr_total"] or Decimal("0"),
        "reporting_currency": reporting_currency(),
        "accounts_without_rate": agg["without_rate"],
        "by_health_band": {
            k: agg[k] for k in ("green", "yellow", "red", "insufficient_data", "unknown")
        },
    }


def account_page(
    qs: QuerySet[Account], *, after: tuple[str, int] | None, limit: int, today: date
) -> tuple[list[Account], bool]:
    """Keyset page ordered by (name, id): no OFFSET, no COUNT per page."""
    page_qs = account_signals_annotate(qs, open_tickets=True).select_related("owner")
    page_qs = page_qs.order_by("name", "id")
    if after is not None:
        name, pk = after
        page_qs = page_qs.filter(Q(name__gt=name) | Q(name=name, pk__gt=pk))
    rows = list(page_qs[: limit + 1])
    return rows[:limit], len(rows) > limit


__all__ = [
    "AccountFilters",
    "account_signals_annotate",
    "account_filtered_for_actor",
    "account_page",
    "account_portfolio_totals",
]
