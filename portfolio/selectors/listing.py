"""The portfolio list: filtered, keyset-paginated in four sorts, with totals over the whole
filter read from the maintained rollup (customers.services.list_columns)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from cs_platform.core.actors import Actor
from cs_platform.core.contracts.vocabulary import HealthBand
from cs_platform.core.tickets import TICKET_OPEN_STATUSES
from customers.models import CTA, OPEN_CTA, Account, PortfolioRollup
from customers.selectors import account_list_for_actor
from customers.selectors.money import reporting_currency
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
    `health_band`, `health_coverage` from the account's maintained columns, `health_as_of`),
    its next open renewal (`next_renewal_date`) and, when asked, its open CTAs and tickets
    (`open_cta_count`, `open_ticket_count`). One SELECT per page whatever its size."""
    annotations: dict[str, Any] = {
        "health_score": F("latest_health_score"),
        "health_band": F("latest_health_band"),
        "health_coverage": F("latest_health_coverage"),
        "health_as_of": latest_health("as_of"),
        "next_renewal_date": F("next_open_renewal_date"),
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
    if filters.health_band == "unknown":
        # Never scored is "unknown" too: the score was never computable.
        qs = qs.filter(Q(latest_health_band="unknown") | Q(latest_health_band__isnull=True))
    elif filters.health_band:
        qs = qs.filter(latest_health_band=filters.health_band)
    if filters.renewal_within_days is not None:
        horizon = today + timedelta(days=filters.renewal_within_days)
        qs = qs.filter(next_open_renewal_date__gte=today, next_open_renewal_date__lte=horizon)
    return qs


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_band = dict.fromkeys(HealthBand.values, 0)
    arr_total, without_rate = Decimal("0"), 0
    for row in rows:
        by_band[row["band"]] = by_band.get(row["band"], 0) + (row["accounts"] or 0)
        arr_total += row["arr_total"] or Decimal("0")
        without_rate += row["without_rate"] or 0
    return {
        "accounts": sum(by_band.values()),
        "arr_total": arr_total,
        "reporting_currency": reporting_currency(),
        "accounts_without_rate": without_rate,
        "by_health_band": by_band,
    }


def account_portfolio_totals(
    actor: Actor, filters: AccountFilters, qs: QuerySet[Account]
) -> dict[str, Any]:
    """Totals over every account matching the filter, not over one page.

    On PostgreSQL, filters the rollup can answer (scope, owner, tier, stage, status, band)
    read `PortfolioRollup` — a few rows per owner, whatever the portfolio's size. A name
    search or a renewal window is not a rollup dimension: those are aggregated over the
    matching accounts (`qs`), as is everything on SQLite (the embedded demo)."""
    if (
        connection.vendor != "postgresql"
        or filters.search
        or filters.renewal_within_days is not None
    ):
        grouped = (
            qs.order_by()
            .values(band=Coalesce("latest_health_band", Value("unknown")))
            .annotate(
                accounts=Count("id"),
                arr_total=Sum("arr_reporting"),
                without_rate=Count("id", filter=Q(arr_reporting__isnull=True)),
            )
        )
        return _totals(list(grouped))
    rollup = PortfolioRollup.objects.filter(accounts__gt=0)
    # The same scope as account_list_for_actor: a CSM's book is their own accounts.
    if not actor.sees_all_accounts:
        rollup = rollup.filter(owner_key=actor.user_id)
    if filters.owner_id is not None:
        rollup = rollup.filter(owner_key=filters.owner_id)
    for field in ("tier", "lifecycle_stage", "status"):
        if getattr(filters, field):
            rollup = rollup.filter(**{field: getattr(filters, field)})
    if filters.health_band:
        rollup = rollup.filter(band=filters.health_band)
    grouped = (
        rollup.order_by()
        .values("band")
        .annotate(
            accounts=Sum("accounts"),
            arr_total=Sum("arr_total"),
            without_rate=Sum("without_rate"),
        )
    )
    return _totals(list(grouped))


# sort → (column, descending). Each has an index on (column, id) and (owner, column, id).
SORTS: dict[str, tuple[str, bool]] = {
    "name": ("name", False),
    "arr": ("arr_reporting", True),
    "health": ("latest_health_score", False),
    "renewal": ("next_open_renewal_date", False),
}


def account_page(
    qs: QuerySet[Account],
    *,
    sort: str = "name",
    after: tuple[Any, int] | None,
    limit: int,
) -> tuple[list[Account], bool]:
    """Keyset page in `sort` order, ties broken by id; accounts without a value for the
    sort key (no rate, never scored, no open renewal) come last. No OFFSET, no COUNT: the
    first query walks the sort's index from the cursor, and only a page that reaches the
    end of the valued rows reads the null tail (a second query, same index)."""
    column, descending = SORTS[sort]
    nullable = column != "name"
    base = account_signals_annotate(qs, open_tickets=True).select_related("owner")
    id_order = "-id" if descending else "id"
    valued = base.filter(**{f"{column}__isnull": False}) if nullable else base
    valued = valued.order_by(f"-{column}" if descending else column, id_order)
    tail = base.filter(**{f"{column}__isnull": True}).order_by(id_order)
    more_id = "id__lt" if descending else "id__gt"
    rows: list[Account] = []
    if after is not None and after[0] is None:
        rows = list(tail.filter(**{more_id: after[1]})[: limit + 1])
        return rows[:limit], len(rows) > limit
    if after is not None:
        value, pk = after
        at_or_past, past = ("lte", "lt") if descending else ("gte", "gt")
        valued = valued.filter(
            Q(**{f"{column}__{at_or_past}": value})
            & (Q(**{f"{column}__{past}": value}) | Q(**{more_id: pk}))
        )
    rows = list(valued[: limit + 1])
    if nullable and len(rows) <= limit:
        rows += list(tail[: limit + 1 - len(rows)])
    return rows[:limit], len(rows) > limit


def account_sort_value(account: Account, sort: str) -> Any:
    """The sort key of `account` as the cursor stores it (null in the null tail)."""
    return getattr(account, SORTS[sort][0])


__all__ = [
    "AccountFilters",
    "account_signals_annotate",
    "account_filtered_for_actor",
    "account_page",
    "account_portfolio_totals",
    "account_sort_value",
    "SORTS",
]
