"""Segmentation tools: rule-based segments, lifecycle stages, ARR value tiers."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from cs_platform.core.contracts import PageInfo, cursor_decode, cursor_encode
from cs_platform.core.errors import PermissionDenied, field_error
from cs_platform.core.models import Role
from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_get_for_actor
from customers.selectors.money import reporting_currency
from customers.services.lifecycle import account_stage_move
from health.models import Segment
from health.scoring.numbers import round_half_up
from health.selectors.segments import (
    BANDS,
    lifecycle_distribution_for_actor,
    lifecycle_flows_for_actor,
    segment_current_count_for_actor,
    segment_get,
    segment_members_page_for_actor,
    segment_page_for_actor,
    stage_history_page,
    value_tier_accounts_page,
    value_tier_totals,
    value_tiers_annotated,
)
from health.services.segments import segment_create, segment_evaluate, segment_update
from health.tools.segmentation_contracts import (
    ManageLifecycleStagesInput,
    ManageLifecycleStagesOutput,
    SegmentByValueTierInput,
    SegmentByValueTierOutput,
    SegmentCustomersInput,
    SegmentCustomersOutput,
)


def _require_manager(ctx: ToolContext, what: str) -> None:
    if not (ctx.actor.role == Role.MANAGER or ctx.actor.user.is_superuser):
        raise PermissionDenied(
            f"{what} is for CS managers: segments apply to every book",
            details={"field": "action", "role": ctx.actor.role},
        )


def _segment_row(segment: Segment, members: int) -> dict[str, Any]:
    return {
        "key": segment.key,
        "name": segment.name,
        "description": segment.description,
        "rules": segment.rules,
        "is_active": segment.is_active,
        "evaluated_at": segment.evaluated_at,
        "members_in_scope": members,
    }


def _rules(params: SegmentCustomersInput, current: dict[str, Any] | None) -> dict[str, Any]:
    current = current or {}
    return {
        "match": params.match or current.get("match", "all"),
        "conditions": [c.model_dump() for c in params.conditions]
        if params.conditions is not None
        else current.get("conditions", []),
    }


@tool(
    permission="write", read_only=False, idempotent=False, read_actions=("list", "get", "members")
)
def segment_customers(ctx: ToolContext, params: SegmentCustomersInput) -> SegmentCustomersOutput:
    """Rule-based customer segments with stored membership history.

    Actions: `list` segments; `get` one; `members` pages its current members in your book
    (`include_exited` adds past stays with entered/exited times); `create` / `update` a
    segment's rules (`match` all|any over `conditions`, e.g. {field: "tier", op: "in",
    value: ["enterprise"]}, {field: "health_score", op: "lt", value: 50},
    {field: "days_to_renewal", op: "between", value: [0, 90]}); `evaluate` recomputes
    membership: accounts that now match get an entry row, those that stopped matching get
    `exited_at` stamped, re-entry is a new row. create/update/evaluate are for managers and
    support `dry_run` (counts without writing).
    """
    action = params.action
    out: dict[str, Any] = {"as_of": ctx.now, "action": action, "dry_run": params.dry_run}
    if action == "list":
        after = cursor_decode(params.cursor, required_keys=("key",))
        rows, has_next = segment_page_for_actor(
            ctx.actor,
            after_key=after.get("key"),
            limit=params.limit,
            include_inactive=params.include_inactive,
        )
        out["segments"] = [_segment_row(s, s.members_in_scope) for s in rows]
        nxt = cursor_encode({"key": rows[-1].key}) if has_next else None
        out["page"] = PageInfo(next_cursor=nxt, has_next=has_next, limit=params.limit)
        return SegmentCustomersOutput(**out)
    if action == "create":
        _require_manager(ctx, "creating a segment")
        segment = segment_create(
            key=params.segment_key,
            name=params.name,
            description=params.description or "",
            rules=_rules(params, None),
            actor=ctx.actor,
        )
    else:
        segment = segment_get(params.segment_key)
    if action == "update":
        _require_manager(ctx, "changing a segment")
        changes: dict[str, Any] = {}
        for field in ("name", "description", "is_active"):
            if getattr(params, field) is not None:
                changes[field] = getattr(params, field)
        if params.match is not None or params.conditions is not None:
            changes["rules"] = _rules(params, segment.rules)
        diff = segment_update(segment=segment, changes=changes, actor=ctx.actor)
        out["changed"] = [{"field": f, **v} for f, v in diff.items()]
    if action == "evaluate":
        _require_manager(ctx, "evaluating a segment")
    if action == "evaluate" or (action in ("create", "update") and params.evaluate):
        result = segment_evaluate(segment=segment, now=ctx.now, actor=ctx.actor)
        out["evaluation"] = {
            "entered": result.entered,
            "exited": result.exited,
            "current": result.current,
        }
    if action in ("create", "update", "evaluate"):
        ctx.audit(segment, changes={"action": action, "evaluation": out.get("evaluation")})
    if action == "members":
        raw = cursor_decode(params.cursor, required_keys=("id",))
        rows, has_next = segment_members_page_for_actor(
            ctx.actor,
            segment,
            include_exited=params.include_exited,
            after_id=raw.get("id"),
            limit=params.limit,
        )
        out["members"] = [
            {
                "membership_id": r["pk"],
                "account_id": r["account_id"],
                "name": r["account__name"],
                "tier": r["account__tier"],
                "entered_at": r["entered_at"],
                "exited_at": r["exited_at"],
            }
            for r in rows
        ]
        nxt = cursor_encode({"id": rows[-1]["pk"]}) if has_next else None
        out["page"] = PageInfo(next_cursor=nxt, has_next=has_next, limit=params.limit)
    out["segment"] = _segment_row(segment, segment_current_count_for_actor(ctx.actor, segment))
    return SegmentCustomersOutput(**out)


def _change_row(c: Any) -> dict[str, Any]:
    return {
        "id": c.pk,
        "account_id": c.account_id,
        "from_stage": c.from_stage,
        "to_stage": c.to_stage,
        "changed_at": c.changed_at,
        "reason": c.reason,
        "changed_by": c.changed_by.get_username() if c.changed_by else None,
    }


@tool(
    permission="write", read_only=False, idempotent=False, read_actions=("distribution", "history")
)
def manage_lifecycle_stages(
    ctx: ToolContext, params: ManageLifecycleStagesInput
) -> ManageLifecycleStagesOutput:
    """Lifecycle stages: the distribution over your book, one account's stage history, or
    a move with a recorded reason.

    `distribution`: per stage, accounts, ARR, mean days in stage and entries in the last
    30 days, plus the stage-to-stage flows of the last 30 days. `history`: the account's
    stage changes, newest first (paged). `move`: sets the account's stage and records a
    stage change with your reason (it shows on get_client_timeline); moving to `churned`
    also marks the account churned today, moving out of it reactivates it.
    """
    out: dict[str, Any] = {"as_of": ctx.now, "action": params.action}
    if params.action == "distribution":
        out["distribution"] = lifecycle_distribution_for_actor(ctx.actor, now=ctx.now)
        out["flows_last_30d"] = lifecycle_flows_for_actor(
            ctx.actor, since=ctx.now - timedelta(days=30)
        )
        return ManageLifecycleStagesOutput(**out)
    if params.action == "move":
        account = account_get_for_actor(ctx.actor, params.account_id, for_update=True)
        change = account_stage_move(
            account=account,
            to_stage=params.to_stage,
            reason=params.reason,
            actor=ctx.actor,
            now=ctx.now,
        )
        ctx.audit(
            account,
            changes={"from": change.from_stage, "to": change.to_stage, "reason": change.reason},
        )
        change.changed_by = ctx.actor.user
        out["change"] = _change_row(change)
        return ManageLifecycleStagesOutput(**out)
    account = account_get_for_actor(ctx.actor, params.account_id)
    raw = cursor_decode(params.cursor, required_keys=("t", "id"))
    after = None
    if raw:
        try:
            after = (datetime.fromisoformat(raw["t"]), int(raw["id"]))
        except (TypeError, ValueError):
            raise field_error("cursor", "is not a cursor returned by this tool") from None
    rows, has_next = stage_history_page(account.pk, after=after, limit=params.limit)
    out["history"] = [_change_row(c) for c in rows]
    nxt = (
        cursor_encode({"t": rows[-1].changed_at.isoformat(), "id": rows[-1].pk})
        if has_next
        else None
    )
    out["page"] = PageInfo(next_cursor=nxt, has_next=has_next, limit=params.limit)
    return ManageLifecycleStagesOutput(**out)


def _tier_labels(boundaries: list[Decimal]) -> list[str]:
    fmt = [f"{b:,.0f}" for b in boundaries]
    labels = [f"< {fmt[0]}"]
    labels += [f"{fmt[i]} – {fmt[i + 1]}" for i in range(len(fmt) - 1)]
    return [*labels, f"≥ {fmt[-1]}"]


@tool(permission="read", read_only=True)
def segment_by_value_tier(
    ctx: ToolContext, params: SegmentByValueTierInput
) -> SegmentByValueTierOutput:
    """Split your book into ARR value tiers with boundaries you choose.

    ARR is compared in the reporting currency (latest exchange rates); accounts whose
    currency has no rate are counted in `accounts_without_rate`, in no tier.
    For each tier (boundaries[i-1] ≤ ARR < boundaries[i]): account count, ARR total,
    average health score over scored accounts (null if none is scored) and accounts per
    health band. Set `list_tier` to page through that tier's accounts, largest ARR first.
    Churned accounts are left out unless `include_churned`.
    """
    b = params.boundaries
    labels = params.labels or _tier_labels(b)
    qs = value_tiers_annotated(ctx.actor, boundaries=b, include_churned=params.include_churned)
    totals = value_tier_totals(qs)
    tiers = []
    for i, label in enumerate(labels):
        t = totals.get(i)
        tiers.append(
            {
                "index": i,
                "label": label,
                "arr_min": b[i - 1] if i > 0 else None,
                "arr_max": b[i] if i < len(b) else None,
                "accounts": t["accounts"] if t else 0,
                "arr_total": (t["arr_total"] if t else None) or Decimal("0"),
                "avg_health_score": round_half_up(float(t["avg_score"]), 1)
                if t and t["avg_score"] is not None
                else None,
                "scored_accounts": t["scored"] if t else 0,
                "health_bands": {k: (t[k] if t else 0) for k in BANDS},
            }
        )
    out: dict[str, Any] = {
        "as_of": ctx.now,
        "tiers": tiers,
        "reporting_currency": reporting_currency(),
        "accounts_without_rate": qs.filter(arr_reporting__isnull=True).count(),
    }
    if params.list_tier is not None:
        raw = cursor_decode(params.cursor, required_keys=("arr", "id"))
        after = None
        if raw:
            try:
                after = (Decimal(str(raw["arr"])), int(raw["id"]))
            except (InvalidOperation, TypeError, ValueError):
                raise field_error("cursor", "is not a cursor returned by this tool") from None
        rows, has_next = value_tier_accounts_page(
            qs, tier=params.list_tier, after=after, limit=params.limit
        )
        out["accounts"] = [
            {
                "account_id": a.pk,
                "name": a.name,
                "arr": a.arr,
                "currency": a.currency,
                "arr_reporting": a.arr_reporting,
                "health_score": float(a.h_score) if a.h_score is not None else None,
                "health_band": a.h_band,
            }
            for a in rows
        ]
        last = rows[-1] if has_next else None
        nxt = cursor_encode({"arr": str(last.arr_reporting), "id": last.pk}) if last else None
        out["page"] = PageInfo(next_cursor=nxt, has_next=has_next, limit=params.limit)
    return SegmentByValueTierOutput(**out)
