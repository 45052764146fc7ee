"""Renewal and revenue tools: upcoming renewals with reminders, the probability-weighted
forecast, negotiations within discount guardrails, NRR/GRR from contract history and
customer lifetime value from ARR, margin and measured retention."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, DecimalField, F, Sum, Value, When

from cs_platform.core.contracts import PageInfo, cursor_decode, cursor_encode
from cs_platform.core.errors import field_error
from cs_platform.core.tools import ToolContext, tool
from customers.models import Account, AccountStatus, Renewal
from customers.selectors import account_get_for_actor, account_list_for_actor
from customers.selectors.money import CENT, reporting_currency
from customers.selectors.renewals import renewal_get_for_actor
from customers.selectors.revenue import RETENTION_DEFINITIONS, RetentionFigures, revenue_retention
from customers.services.renewals import (
    discount_pct,
    renewal_close,
    renewal_probability_override,
    renewal_proposal_decide,
    renewal_propose,
)
from health.selectors.renewals import FORECAST_DEFINITIONS, RenewalRow, open_renewals
from health.tools.renewals_contracts import (
    ForecastRenewalsInput,
    ForecastRenewalsOutput,
    NegotiateRenewalsInput,
    NegotiateRenewalsOutput,
    OptimizeClvInput,
    OptimizeClvOutput,
    TrackRenewalsInput,
    TrackRenewalsOutput,
    TrackRevenueExpansionInput,
    TrackRevenueExpansionOutput,
)

CATEGORIES = ("commit", "best_case", "at_risk")


def _accounts(ctx: ToolContext, account_id: int | None = None) -> Any:
    accounts = account_list_for_actor(ctx.actor)
    if account_id is not None:
        account_get_for_actor(ctx.actor, account_id)  # not_found when out of scope
        accounts = accounts.filter(pk=account_id)
    return accounts


# --- track_renewals ------------------------------------------------------------------
def _reminders(renewal_date: date, days: list[int], today: date) -> list[dict[str, Any]]:
    out = []
    for d in sorted(set(days), reverse=True):
        on = renewal_date - timedelta(days=d)
        status = "passed" if on < today else "today" if on == today else "upcoming"
        out.append({"days_before": d, "on": on, "status": status})
    return out


@tool(permission="read", read_only=True)
def track_renewals(ctx: ToolContext, params: TrackRenewalsInput) -> TrackRenewalsOutput:
    """Open renewals in your book due within days_ahead (and overdue), soonest first:
    stage, ARR (original and reporting currency), proposal, health band, auto-renew and
    reminders `reminder_days` before the date."""
    today = ctx.now.date()
    rows = open_renewals(
        _accounts(ctx, params.account_id),
        start=None if params.include_overdue else today,
        end=today + timedelta(days=params.days_ahead),
        today=today,
    )
    after = cursor_decode(params.cursor, required_keys=("d", "id"))
    page = rows
    if after:
        try:
            key = (date.fromisoformat(after["d"]), int(after["id"]))
        except (TypeError, ValueError):
            raise field_error("cursor", "is not a cursor returned by this tool") from None
        page = [r for r in rows if (r.renewal.renewal_date, r.renewal.pk) > key]
    has_next = len(page) > params.limit
    page = page[: params.limit]
    out = []
    for r in page:
        rn = r.renewal
        reminders = _reminders(rn.renewal_date, params.reminder_days, today)
        out.append(
            {
                "renewal_id": rn.pk,
                "account_id": rn.account_id,
                "account_name": rn.account.name,
                "renewal_date": rn.renewal_date,
                "days_to_renewal": (rn.renewal_date - today).days,
                "stage": rn.stage,
                "current_arr": rn.current_arr,
                "currency": rn.currency,
                "arr_reporting": r.arr_reporting,
                "proposed_arr": rn.proposed_arr,
                "proposal_status": rn.proposal_status or "none",
                "auto_renew": rn.contract.auto_renew if rn.contract else None,
                "health_band": r.band,
                "reminders": reminders,
                "next_reminder_on": min(
                    (x["on"] for x in reminders if x["status"] != "passed"), default=None
                ),
            }
        )
    nxt = (
        cursor_encode({"d": page[-1].renewal.renewal_date.isoformat(), "id": page[-1].renewal.pk})
        if has_next
        else None
    )
    return TrackRenewalsOutput(
        as_of=ctx.now,
        reporting_currency=reporting_currency(),
        total_renewals=len(rows),
        total_arr_reporting=sum((r.arr_reporting or Decimal(0) for r in rows), Decimal("0.00")),
        overdue=sum(1 for r in rows if r.renewal.renewal_date < today),
        without_rate=sum(1 for r in rows if r.arr_reporting is None),
        renewals=out,
        page=PageInfo(next_cursor=nxt, has_next=has_next, limit=params.limit),
    )


# --- forecast_renewals ---------------------------------------------------------------
def _month_end(first: date, months: int) -> date:
    y, m = divmod(first.month - 1 + months - 1, 12)
    year, month = first.year + y, m + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def _bucket() -> dict[str, Any]:
    return {
        "renewals": 0,
        "arr": Decimal("0.00"),
        "weighted_arr": Decimal("0.00"),
        **{
            c: {"renewals": 0, "arr": Decimal("0.00"), "weighted_arr": Decimal("0.00")}
            for c in CATEGORIES
        },
    }


def _add(bucket: dict[str, Any], r: RenewalRow) -> None:
    arr, weighted = r.arr_reporting or Decimal(0), r.weighted or Decimal(0)
    for b in (bucket, bucket[r.category]):
        b["renewals"] += 1
        b["arr"] += arr
        b["weighted_arr"] += weighted


def _forecast_row(r: RenewalRow) -> dict[str, Any]:
    rn = r.renewal
    return {
        "renewal_id": rn.pk,
        "account_id": rn.account_id,
        "account_name": rn.account.name,
        "renewal_date": rn.renewal_date,
        "current_arr": rn.current_arr,
        "currency": rn.currency,
        "arr_reporting": r.arr_reporting,
        "health_band": r.band,
        "history": f"{r.renewed}/{r.closed}",
        "model_probability": r.model_probability,
        "probability": r.probability,
        "override_reason": rn.probability_override_reason or None,
        "category": r.category,
        "weighted_arr": r.weighted,
    }


@tool(permission="write", read_only=False, idempotent=True, read_actions=("forecast",))
def forecast_renewals(ctx: ToolContext, params: ForecastRenewalsInput) -> ForecastRenewalsOutput:
    """Probability-weighted renewal ARR of your book by month and category (commit,
    best_case, at_risk) in the reporting currency; probability from health band and
    renewal history (see definitions). `override` one with a reason; `clear_override`."""
    today = ctx.now.date()
    changed = None
    if params.action != "forecast":
        if params.renewal_id is None:
            raise field_error("renewal_id", f"is required to {params.action}", code="required")
        renewal = renewal_get_for_actor(ctx.actor, params.renewal_id, for_update=True)
        if params.action == "override" and params.probability is None:
            raise field_error("probability", "is required to override", code="required")
        if params.action == "override" and not params.reason:
            raise field_error("reason", "is required to override", code="required")
        changed = renewal_probability_override(
            actor=ctx.actor,
            renewal=renewal,
            probability=params.probability if params.action == "override" else None,
            reason=params.reason or "",
        )
        ctx.audit(renewal, changes=changed, account_id=renewal.account_id)
    first = today.replace(day=1)
    rows = open_renewals(
        _accounts(ctx), start=first, end=_month_end(first, params.months), today=today
    )
    months: dict[str, dict[str, Any]] = defaultdict(_bucket)
    for i in range(params.months):
        months[_month_end(first, i + 1).strftime("%Y-%m")]  # every month, even empty ones
    total = _bucket()
    for r in rows:
        _add(months[r.renewal.renewal_date.strftime("%Y-%m")], r)
        _add(total, r)
    return ForecastRenewalsOutput(
        as_of=ctx.now,
        action=params.action,
        reporting_currency=reporting_currency(),
        months=[{"month": k, **v} for k, v in sorted(months.items())],
        total={"month": "total", **total},
        without_rate=sum(1 for r in rows if r.arr_reporting is None),
        renewals=[_forecast_row(r) for r in rows[: params.limit]],
        changed=changed,
        definitions=FORECAST_DEFINITIONS,
    )


# --- negotiate_renewals --------------------------------------------------------------
def _negotiation_row(rn: Renewal) -> dict[str, Any]:
    return {
        "renewal_id": rn.pk,
        "account_id": rn.account_id,
        "account_name": rn.account.name,
        "renewal_date": rn.renewal_date,
        "stage": rn.stage,
        "current_arr": rn.current_arr,
        "proposed_arr": rn.proposed_arr,
        "currency": rn.currency,
        "discount_pct": None
        if rn.proposed_arr is None
        else discount_pct(rn.current_arr, rn.proposed_arr),
        "proposal_status": rn.proposal_status or "none",
        "proposal_reason": rn.proposal_reason,
        "decided_by": rn.proposal_decided_by.get_username() if rn.proposal_decided_by else None,
        "decided_at": rn.proposal_decided_at,
        "outcome": rn.outcome,
        "outcome_arr": rn.outcome_arr,
    }


@tool(permission="write", read_only=False, idempotent=False, read_actions=("list", "get"))
def negotiate_renewals(ctx: ToolContext, params: NegotiateRenewalsInput) -> NegotiateRenewalsOutput:
    """Renewal negotiations in your book. `propose` proposed_arr: a discount ≤
    self_approve_pct is approved, ≤ max_pct waits for a manager's approve/reject, beyond
    is refused. `close` records the outcome. `list`: renewals in negotiation."""
    out: dict[str, Any] = {
        "as_of": ctx.now,
        "action": params.action,
        "guardrails": {
            "self_approve_pct": settings.RENEWAL_DISCOUNT_SELF_APPROVE_PCT,
            "max_pct": settings.RENEWAL_DISCOUNT_MAX_PCT,
        },
        "renewal": None,
        "renewals": None,
    }
    if params.action == "list":
        qs = (
            Renewal.objects.filter(account__in=account_list_for_actor(ctx.actor))
            .filter(stage="in_negotiation")
            .select_related("account", "proposal_decided_by")
            .order_by("renewal_date", "id")
        )
        out["renewals"] = [_negotiation_row(r) for r in qs[:200]]
        return NegotiateRenewalsOutput(**out)
    if params.renewal_id is None:
        raise field_error("renewal_id", f"is required to {params.action}", code="required")
    writes = params.action != "get"
    renewal = renewal_get_for_actor(ctx.actor, params.renewal_id, for_update=writes)
    reason = params.reason or ""
    if params.action == "propose":
        if params.proposed_arr is None:
            raise field_error("proposed_arr", "is required to propose", code="required")
        renewal_propose(
            actor=ctx.actor,
            renewal=renewal,
            proposed_arr=params.proposed_arr,
            reason=reason,
            now=ctx.now,
        )
    elif params.action in ("approve", "reject"):
        renewal_proposal_decide(
            actor=ctx.actor,
            renewal=renewal,
            approve=params.action == "approve",
            reason=reason,
            now=ctx.now,
        )
    elif params.action == "close":
        if params.outcome is None:
            raise field_error("outcome", "is required to close", code="required")
        renewal_close(
            actor=ctx.actor,
            renewal=renewal,
            outcome=params.outcome,
            outcome_arr=params.outcome_arr,
            now=ctx.now,
        )
    if writes:
        ctx.audit(renewal, changes={"action": params.action}, account_id=renewal.account_id)
    renewal = renewal_get_for_actor(ctx.actor, renewal.pk)
    out["renewal"] = _negotiation_row(renewal)
    return NegotiateRenewalsOutput(**out)


# --- track_revenue_expansion ---------------------------------------------------------
def _retention_row(tier: str | None, f: RetentionFigures) -> dict[str, Any]:
    return {"tier": tier, **f.as_dict()}


@tool(permission="read", read_only=True)
def track_revenue_expansion(
    ctx: ToolContext, params: TrackRevenueExpansionInput
) -> TrackRevenueExpansionOutput:
    """Net and gross revenue retention of your book between `start` and `end` (default:
    the last 12 months) from contract history: starting and ending ARR of the accounts
    paying at start, expansion, contraction, churn, new logos; overall and by tier."""
    today = ctx.now.date()
    end = params.end or today
    start = params.start or end - timedelta(days=365)
    if end > today:
        raise field_error("end", "must not be in the future")
    if start >= end:
        raise field_error("start", "must be before end")
    accounts = account_list_for_actor(ctx.actor)
    if params.tier:
        accounts = accounts.filter(tier=params.tier)
    overall, by_tier = revenue_retention(accounts, start=start, end=end)
    return TrackRevenueExpansionOutput(
        as_of=ctx.now,
        start=start,
        end=end,
        reporting_currency=reporting_currency(),
        overall=_retention_row(None, overall),
        by_tier=[_retention_row(t, f) for t, f in sorted(by_tier.items())],
        contracts_without_rate=overall.unconverted_contracts,
        definitions=RETENTION_DEFINITIONS,
    )


# --- optimize_customer_lifetime_value ------------------------------------------------
CLV_DEFINITIONS = {
    "retention_pct": "Share of the tier's accounts paying a year ago (all books, contract "
    "history) that still pay today.",
    "lifetime_years": "1 / (1 − retention), at most max_lifetime_years (capped when hit).",
    "clv": "ARR (reporting currency) × gross_margin × the tier's lifetime_years.",
    "clv_if_retention_plus_5pts": "clv_total with retention 5 points higher (at most 100%).",
}


def _lifetime(retention: float | None) -> tuple[float | None, bool]:
    if retention is None:
        return None, False
    cap = settings.CLV_MAX_YEARS
    if retention >= 1 or 1 / (1 - retention) >= cap:
        return cap, True
    return round(1 / (1 - retention), 2), False


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


@tool(permission="read", read_only=True)
def optimize_customer_lifetime_value(
    ctx: ToolContext, params: OptimizeClvInput
) -> OptimizeClvOutput:
    """Customer lifetime value of your active accounts: ARR × gross margin (setting
    CLV_GROSS_MARGIN) × expected lifetime from each tier's measured 12-month logo
    retention; per tier the total and what 5 more retention points would add; the
    accounts with the highest CLV."""
    today = ctx.now.date()
    start = today - timedelta(days=365)
    population = Account.objects.all()
    if params.tier:
        population = population.filter(tier=params.tier)
    _, cohorts = revenue_retention(population, start=start, end=today)
    margin = Decimal(str(settings.CLV_GROSS_MARGIN))
    mine = account_list_for_actor(ctx.actor).filter(status=AccountStatus.ACTIVE)
    if params.tier:
        mine = mine.filter(tier=params.tier)
    book = {
        r["tier"]: r
        for r in mine.filter(arr_reporting__isnull=False)
        .order_by()
        .values("tier")
        .annotate(n=Count("id"), arr=Sum("arr_reporting"))
    }
    lifetimes: dict[str, float] = {}
    tiers = []
    for tier in sorted(set(cohorts) | set(book)):
        f = cohorts.get(tier, RetentionFigures())
        retention = f.logo_retention
        years, capped = _lifetime(retention)
        mine_tier = book.get(tier, {"n": 0, "arr": Decimal(0)})
        arr = mine_tier["arr"] or Decimal(0)
        better, _ = _lifetime(None if retention is None else min(retention + 0.05, 1.0))
        if years is not None:
            lifetimes[tier] = years
        tiers.append(
            {
                "tier": tier,
                "cohort_accounts": f.accounts_start,
                "retained": f.accounts_retained,
                "retention_pct": None if retention is None else round(retention * 100, 1),
                "lifetime_years": years,
                "lifetime_capped": capped,
                "accounts": mine_tier["n"],
                "arr_reporting": _money(arr),
                "clv_total": None if years is None else _money(arr * margin * Decimal(str(years))),
                "clv_if_retention_plus_5pts": None
                if better is None
                else _money(arr * margin * Decimal(str(better))),
            }
        )
    accounts = []
    if lifetimes and params.limit:
        clv = F("arr_reporting") * Case(
            *[When(tier=t, then=Value(Decimal(str(y)) * margin)) for t, y in lifetimes.items()],
            output_field=DecimalField(max_digits=20, decimal_places=4),
        )
        top = (
            mine.filter(arr_reporting__isnull=False, tier__in=list(lifetimes))
            .annotate(clv=clv)
            .order_by("-clv", "pk")[: params.limit]
        )
        accounts = [
            {
                "account_id": a.pk,
                "account_name": a.name,
                "tier": a.tier,
                "arr": a.arr,
                "currency": a.currency,
                "arr_reporting": a.arr_reporting,
                "clv": _money(a.clv),
            }
            for a in top
        ]
    return OptimizeClvOutput(
        as_of=ctx.now,
        reporting_currency=reporting_currency(),
        gross_margin=settings.CLV_GROSS_MARGIN,
        max_lifetime_years=settings.CLV_MAX_YEARS,
        retention_window={"start": start, "end": today},
        tiers=tiers,
        accounts=accounts,
        without_rate=mine.filter(arr_reporting__isnull=True).count(),
        definitions=CLV_DEFINITIONS,
    )
