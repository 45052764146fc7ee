"""Retention tools for individual cases: escalations with SLAs, churn post-mortems."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q

from cs_platform.core.contracts import PageInfo, cursor_decode, cursor_encode
from cs_platform.core.errors import field_error
from cs_platform.core.tools import ToolContext, tool
from customers.models import Escalation
from customers.selectors import account_get_for_actor
from customers.services.escalations import (
    SLA_HOURS_BY_SEVERITY,
    escalation_open,
    escalation_update,
)
from health.scoring.numbers import round_half_up
from health.selectors.retention import (
    HIGH_RISK,
    churn_signal_counts,
    churn_signals_annotated,
    churned_accounts_for_actor,
    escalation_get_for_actor,
    escalation_is_breached,
    escalation_page_for_actor,
    usage_trend,
)
from health.tools.retention_cases_contracts import (
    AnalyzeChurnPostmortemInput,
    AnalyzeChurnPostmortemOutput,
    ManageEscalationsInput,
    ManageEscalationsOutput,
)


def _escalation_row(e: Escalation, now: datetime) -> dict[str, Any]:
    done = e.resolved_at is not None
    return {
        "id": e.pk,
        "account_id": e.account_id,
        "account_name": e.account.name,
        "severity": e.severity,
        "status": e.status,
        "summary": e.summary,
        "owner": e.owner.get_username() if e.owner else None,
        "ticket_id": e.ticket_id,
        "cta_id": e.cta_id,
        "opened_at": e.opened_at,
        "sla_due_at": e.sla_due_at,
        "resolved_at": e.resolved_at,
        "sla_breached": escalation_is_breached(e, now),
        "hours_to_sla": None
        if done
        else round_half_up((e.sla_due_at - now).total_seconds() / 3600, 1),
    }


def _cursor_after(cursor: str | None) -> tuple[datetime, int] | None:
    raw = cursor_decode(cursor, required_keys=("t", "id"))
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw["t"]), int(raw["id"])
    except (TypeError, ValueError):
        raise field_error("cursor", "is not a cursor returned by this tool") from None


@tool(permission="write", read_only=False, idempotent=False, read_actions=("list", "get"))
def manage_escalations(ctx: ToolContext, params: ManageEscalationsInput) -> ManageEscalationsOutput:
    """Customer escalations with severity-based SLAs.

    `create` opens one on an account in your book (severity low/medium/high/urgent sets
    the SLA deadline: see `sla_policy_hours`; `sla_hours` overrides it), optionally tied
    to a ticket or CTA of that account. `update` acknowledges, resolves (stamps
    resolved_at) or reopens it, or changes severity (the deadline is recomputed from the
    original opening time), summary or owner. `list` pages your escalations newest first
    (filters: account, status, only SLA-breached); `get` returns one.
    """
    out: dict[str, Any] = {
        "as_of": ctx.now,
        "action": params.action,
        "sla_policy_hours": {str(k): v for k, v in SLA_HOURS_BY_SEVERITY.items()},
    }
    if params.action == "list":
        if params.account_id is not None:
            account_get_for_actor(ctx.actor, params.account_id)  # not_found when out of scope
        rows, has_next = escalation_page_for_actor(
            ctx.actor,
            now=ctx.now,
            account_id=params.account_id,
            status=params.status,
            only_breached=params.only_breached,
            after=_cursor_after(params.cursor),
            limit=params.limit,
        )
        out["escalations"] = [_escalation_row(e, ctx.now) for e in rows]
        nxt = (
            cursor_encode({"t": rows[-1].opened_at.isoformat(), "id": rows[-1].pk})
            if has_next
            else None
        )
        out["page"] = PageInfo(next_cursor=nxt, has_next=has_next, limit=params.limit)
        return ManageEscalationsOutput(**out)
    if params.action == "create":
        account = account_get_for_actor(ctx.actor, params.account_id)
        escalation = escalation_open(
            account=account,
            severity=params.severity,
            summary=params.summary,
            owner_id=params.owner_id,
            ticket_id=params.ticket_id,
            cta_id=params.cta_id,
            sla_hours=params.sla_hours,
            actor=ctx.actor,
            now=ctx.now,
        )
        escalation = escalation_get_for_actor(ctx.actor, escalation.pk)
        ctx.audit(escalation, changes={"opened": {"severity": escalation.severity}})
    elif params.action == "update":
        escalation = escalation_get_for_actor(ctx.actor, params.escalation_id, for_update=True)
        changes = {
            k: getattr(params, k)
            for k in ("status", "severity", "summary", "owner_id", "sla_hours")
            if getattr(params, k) is not None
        }
        diff = escalation_update(
            escalation=escalation, changes=changes, actor=ctx.actor, now=ctx.now
        )
        out["changed"] = [{"field": f, **v} for f, v in diff.items()]
        ctx.audit(escalation, changes={"diff": diff})
        escalation = escalation_get_for_actor(ctx.actor, escalation.pk)
    else:
        escalation = escalation_get_for_actor(ctx.actor, params.escalation_id)
    out["escalation"] = _escalation_row(escalation, ctx.now)
    return ManageEscalationsOutput(**out)


def _signals(a: Any, decline_pct: float) -> tuple[list[str], list[str], float | None]:
    trend = usage_trend(a.u_last, a.u_prev)
    found, missing = [], []
    if trend is None:
        missing.append("usage_trend")
    elif trend <= -decline_pct:
        found.append("usage_decline")
    if a.t_hi:
        found.append("urgent_tickets")
    if a.t_sla:
        found.append("sla_breaches")
    if a.nps_n == 0:
        missing.append("nps")
    elif a.nps_det:
        found.append("detractor")
    if a.h_band is None:
        missing.append("health")
    elif a.h_band == "red":
        found.append("health_red")
    if a.p_before is None:
        missing.append("churn_prediction")
    elif a.p_before >= HIGH_RISK:
        found.append("predicted_high_risk")
    if a.last_active is not None and (a.churned_on - a.last_active).days > 30:
        found.append("inactive_30d")
    return found, missing, trend


@tool(permission="read", read_only=True)
def analyze_churn_postmortem(
    ctx: ToolContext, params: AnalyzeChurnPostmortemInput
) -> AnalyzeChurnPostmortemOutput:
    """What preceded churn, for churned accounts in your book.

    For each churned account (status churned, optionally churned between `since` and
    `until`), the signals of the `window_days` before its churn date: usage trend (30
    days before churn vs the 30 before), last active day, tickets (urgent/high, SLA
    breaches), NPS answers and detractors, CSAT, the health band at churn, the churn
    probability predicted before churn, CTAs raised and the renewal outcome. `summary`
    counts accounts per signal over the whole filter; accounts are paged by churn date.
    """
    accounts = churned_accounts_for_actor(ctx.actor, since=params.since, until=params.until)
    annotated = churn_signals_annotated(accounts, window_days=params.window_days)
    summary = churn_signal_counts(annotated, decline_pct=params.usage_decline_pct)
    raw = _cursor_after(params.cursor) if params.cursor else None
    page_qs = annotated.order_by("-churned_on", "-pk")
    if raw:
        day, pk = raw[0].date(), raw[1]
        page_qs = page_qs.filter(Q(churned_on__lt=day) | Q(churned_on=day, pk__lt=pk))
    rows = list(page_qs[: params.limit + 1])
    page, has_next = rows[: params.limit], len(rows) > params.limit
    out = []
    for a in page:
        found, missing, trend = _signals(a, params.usage_decline_pct)
        out.append(
            {
                "account_id": a.pk,
                "name": a.name,
                "churned_on": a.churned_on,
                "arr": a.arr,
                "usage_trend_pct": trend,
                "avg_dau_before_churn": round_half_up(a.u_last / 30, 1) if a.u_days else None,
                "last_active_date": a.last_active,
                "tickets_opened": a.t_n,
                "urgent_or_high_tickets": a.t_hi,
                "sla_breached_tickets": a.t_sla,
                "nps_answers": a.nps_n,
                "detractor_answers": a.nps_det,
                "nps_answer_avg": round_half_up(float(a.nps_avg), 2)
                if a.nps_avg is not None
                else None,
                "csat_avg": round_half_up(float(a.csat_avg), 2) if a.csat_avg is not None else None,
                "health_band_at_churn": a.h_band,
                "health_score_at_churn": float(a.h_score) if a.h_score is not None else None,
                "churn_probability_before": float(a.p_before) if a.p_before is not None else None,
                "ctas_raised": a.cta_n,
                "renewal_outcome": a.renewal_outcome,
                "signals": found,
                "missing": missing,
            }
        )
    nxt = None
    if has_next:
        last = page[-1]
        nxt = cursor_encode({"t": f"{last.churned_on.isoformat()}T00:00:00", "id": last.pk})
    return AnalyzeChurnPostmortemOutput(
        as_of=ctx.now,
        window_days=params.window_days,
        summary=summary,
        accounts=out,
        page=PageInfo(next_cursor=nxt, has_next=has_next, limit=params.limit),
    )
