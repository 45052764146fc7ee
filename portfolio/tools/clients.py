"""Portfolio tools: the account 360, the portfolio list and the account timeline. They read
rows of every app (health, tickets, usage, surveys, e-mails), so they sit in the top layer.
Thin: parse → selector → shape."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cs_platform.core.contracts import PageInfo, cursor_decode, cursor_encode
from cs_platform.core.errors import field_error
from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_get_for_actor
from health.selectors.snapshots import snapshot_result
from portfolio.selectors.listing import (
    AccountFilters,
    account_filtered_for_actor,
    account_page,
    account_portfolio_totals,
    account_sort_value,
)
from portfolio.selectors.overview import account_overview, health_component_rows
from portfolio.selectors.timeline import account_timeline
from portfolio.services.overview_cache import (
    overview_cache_get,
    overview_cache_key,
    overview_cache_set,
)
from portfolio.tools.clients_contracts import (
    ClientOverviewOutput,
    ClientRow,
    GetClientOverviewInput,
    GetClientTimelineInput,
    GetClientTimelineOutput,
    ListClientsInput,
    ListClientsOutput,
    TimelineEvent,
)


@tool(permission="read", read_only=True)
def get_client_overview(ctx: ToolContext, params: GetClientOverviewInput) -> ClientOverviewOutput:
    """Account 360 for one account, entirely from stored rows.

    Returns firmographics, the latest health snapshot with its per-measure components
    (score, weight, contribution, missing inputs), the current contract and next
    renewal (days to renewal computed now), open tickets by priority with the oldest
    ones, 30-day usage against the prior 30 days, NPS/CSAT over 180 days, and open CTAs.
    Sections without data are null and named in `missing` — never zero-filled.
    """
    account = account_get_for_actor(ctx.actor, params.account_id)
    today = ctx.now.date()
    # Served from Redis when nothing the overview reads changed since the entry was
    # filled (its key carries the account's data version); `as_of` is then the fill time.
    key = overview_cache_key(account.pk, ctx.now)
    cached = overview_cache_get(key)
    if cached is not None:
        return ClientOverviewOutput.model_validate(cached)
    answer = _client_overview(ctx, account, today)
    overview_cache_set(key, answer.model_dump(mode="json"))
    return answer


def _client_overview(ctx: ToolContext, account: Any, today: date) -> ClientOverviewOutput:
    data = account_overview(account, today=today)
    missing = []
    health = data["health"]
    if health is None:
        missing.append("health")
    if data["contract"] is None:
        missing.append("contract")
    if data["renewal"] is None:
        missing.append("renewal")
    if data["usage"]["days_with_data_last_30"] == 0:
        missing.append("usage")
    if data["surveys"]["nps_responses"] == 0 and data["surveys"]["csat_responses"] == 0:
        missing.append("surveys")
    contract, renewal = data["contract"], data["renewal"]
    return ClientOverviewOutput(
        as_of=ctx.now,
        account_id=account.pk,
        name=account.name,
        domain=account.domain,
        tier=account.tier,
        industry=account.industry,
        region=account.region,
        lifecycle_stage=account.lifecycle_stage,
        status=account.status,
        arr=account.arr,
        currency=account.currency,
        seats_licensed=account.seats_licensed,
        payment_status=account.payment_status,
        owner=account.owner.get_username() if account.owner else None,
        customer_since=account.customer_since,
        health=None
        if health is None
        else {
            "score": health.score,
            "computed_score": health.computed_score,
            "band": health.band,
            "as_of": health.as_of,
            "coverage": health.coverage,
            "confidence": health.confidence,
            "scorecard": str(health.scorecard),
            "override_reason": health.override.reason if health.override else None,
            "components": health_component_rows(snapshot_result(health)),
        },
        contract=None
        if contract is None
        else {
            "id": contract.pk,
            "name": contract.name,
            "start_date": contract.start_date,
            "end_date": contract.end_date,
            "arr": contract.arr,
            "currency": contract.currency,
            "seats": contract.seats,
            "status": contract.status,
        },
        renewal=None
        if renewal is None
        else {
            "id": renewal.pk,
            "renewal_date": renewal.renewal_date,
            "days_to_renewal": data["days_to_renewal"],
            "current_arr": renewal.current_arr,
            "proposed_arr": renewal.proposed_arr,
            "probability": renewal.probability,
            "stage": renewal.stage,
            "forecast_category": renewal.forecast_category,
        },
        open_tickets=data["tickets"]["counts"],
        oldest_open_tickets=data["tickets"]["oldest"],
        usage=data["usage"],
        surveys=data["surveys"],
        open_ctas=data["ctas"],
        missing=missing,
    )


def _cursor_value(sort: str, raw: Any) -> Any:
    if raw is None or sort == "name":
        if raw is not None and not isinstance(raw, str):
            raise ValueError("name")
        return raw
    if sort == "renewal":
        return date.fromisoformat(raw)
    return Decimal(str(raw))


@tool(permission="read", read_only=True)
def list_clients(ctx: ToolContext, params: ListClientsInput) -> ListClientsOutput:
    """List accounts in your book with filters, one page at a time.

    Filters: tier, lifecycle stage, status, owner, latest health band, open renewal
    within N days, name/domain search. `sort`: name (A–Z), arr (highest first, reporting
    currency), health (lowest score first), renewal (soonest first); accounts without a
    value come last. `totals` cover everything matching the filter, not just this page.
    Pass `page.next_cursor` back as `cursor` (with the same sort) for the next page.
    """
    today = ctx.now.date()
    raw = cursor_decode(params.cursor, required_keys={"s": str, "v": (str, type(None)), "i": int})
    after = None
    if raw:
        if raw["s"] != params.sort:
            raise field_error("cursor", "was returned for another sort")
        try:
            after = (_cursor_value(params.sort, raw["v"]), int(raw["i"]))
        except (TypeError, ValueError, ArithmeticError):
            raise field_error("cursor", "is not a cursor returned by this tool") from None
    filters = AccountFilters(
        tier=params.tier,
        lifecycle_stage=params.lifecycle_stage,
        status=params.status,
        owner_id=params.owner_id,
        health_band=params.health_band,
        renewal_within_days=params.renewal_within_days,
        search=params.search,
    )
    qs = account_filtered_for_actor(ctx.actor, filters, today=today)
    rows, has_next = account_page(qs, sort=params.sort, after=after, limit=params.limit)
    clients = [
        ClientRow(
            account_id=a.pk,
            name=a.name,
            tier=a.tier,
            lifecycle_stage=a.lifecycle_stage,
            status=a.status,
            arr=a.arr,
            currency=a.currency,
            arr_reporting=a.arr_reporting,
            owner=a.owner.get_username() if a.owner else None,
            health_score=a.latest_health_score,
            health_band=a.latest_health_band or "unknown",
            health_coverage=a.latest_health_coverage,
            next_renewal_date=a.next_open_renewal_date,
            days_to_renewal=(a.next_open_renewal_date - today).days
            if a.next_open_renewal_date
            else None,
            open_tickets=a.open_ticket_count or 0,
        )
        for a in rows
    ]
    next_cursor = None
    if has_next:
        last = rows[-1]
        value = account_sort_value(last, params.sort)
        next_cursor = cursor_encode(
            {"s": params.sort, "v": None if value is None else str(value), "i": last.pk}
        )
    columns = rows_compact = None
    if params.fields:
        # The compact row form: the asked-for fields (and account_id) as arrays, each value
        # as the object form shows it.
        wanted = {"account_id", *params.fields}
        columns = [key for key in ClientRow.model_fields if key in wanted]
        dumped = [c.model_dump(mode="json") for c in clients]
        rows_compact = [[row[key] for key in columns] for row in dumped]
        clients = None
    return ListClientsOutput(
        as_of=ctx.now,
        clients=clients,
        columns=columns,
        rows=rows_compact,
        totals=account_portfolio_totals(ctx.actor, filters, qs),
        page=PageInfo(next_cursor=next_cursor, has_next=has_next, limit=params.limit),
    )


@tool(permission="read", read_only=True)
def get_client_timeline(
    ctx: ToolContext, params: GetClientTimelineInput
) -> GetClientTimelineOutput:
    """One account's history, newest first: activities (calls, meetings, EBRs), tickets
    opened and resolved, survey answers, health band changes, lifecycle stage changes,
    e-mails and CTAs, merged and filtered by date window and kind. Paginate with
    `cursor`."""
    account = account_get_for_actor(ctx.actor, params.account_id)
    raw = cursor_decode(params.cursor, required_keys=("t", "r", "i"))
    cursor = None
    if raw:
        try:
            cursor = (datetime.fromisoformat(raw["t"]), int(raw["r"]), int(raw["i"]))
        except (TypeError, ValueError):
            raise field_error("cursor", "is not a cursor returned by this tool") from None
    items, has_next = account_timeline(
        account.pk,
        kinds=params.kinds,
        since=params.since,
        until=params.until,
        cursor=cursor,
        limit=params.limit,
    )
    next_cursor = None
    if has_next and items:
        last = items[-1]
        next_cursor = cursor_encode(
            {"t": last.occurred_at.isoformat(), "r": last.rank, "i": last.object_id}
        )
    return GetClientTimelineOutput(
        as_of=ctx.now,
        account_id=account.pk,
        events=[
            TimelineEvent(
                occurred_at=i.occurred_at,
                kind=i.kind,
                title=i.title,
                object_type=i.object_type,
                object_id=i.object_id,
                details=i.details,
            )
            for i in items
        ],
        page=PageInfo(next_cursor=next_cursor, has_next=has_next, limit=params.limit),
    )
