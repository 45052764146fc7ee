"""Retention tools: campaigns (manual and rule-triggered) and satisfaction. Escalations and
the churn post-mortem live in `retention_cases` (imported here so they register)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cs_platform.core.contracts import PageInfo, cursor_decode, cursor_encode
from cs_platform.core.errors import Conflict, NotFound, PermissionDenied
from cs_platform.core.models import Role
from cs_platform.core.tools import ToolContext, tool
from customers.models import Campaign, CampaignStatus
from customers.selectors import account_get_for_actor, account_list_for_actor
from health.selectors.retention import (
    campaign_active_in_scope,
    retention_campaign_get,
    retention_campaign_page_for_actor,
)
from health.selectors.satisfaction import (
    SATISFACTION_DEFINITIONS,
    satisfaction_accounts_page,
    satisfaction_monthly,
    satisfaction_overall,
    survey_responses_in_window,
)
from health.selectors.segments import segment_get, segment_member_accounts_for_actor
from health.services.campaigns import (
    CtaAction,
    campaign_actions_validate,
    campaign_create,
    campaign_enroll,
    campaign_evaluate,
    campaign_update,
)
from health.tools.retention_contracts import (
    AutomateRetentionCampaignsInput,
    AutomateRetentionCampaignsOutput,
    ExecuteRetentionCampaignInput,
    ExecuteRetentionCampaignOutput,
    MonitorSatisfactionInput,
    MonitorSatisfactionOutput,
)


def _is_manager(ctx: ToolContext) -> bool:
    return ctx.actor.role == Role.MANAGER or ctx.actor.user.is_superuser


@tool(permission="write", read_only=False, idempotent=False)
def execute_retention_campaign(
    ctx: ToolContext, params: ExecuteRetentionCampaignInput
) -> ExecuteRetentionCampaignOutput:
    """Enroll accounts in a retention campaign and open a CTA for each one that joins.

    Name an existing campaign (`campaign_id`) or create one (`campaign_name`, with the CTA
    title, priority and due days to use). Target explicit `account_ids` (all must be in
    your book, otherwise nothing is written) or a segment's current members in your book.
    Accounts already active in the campaign are left as they are; exited ones rejoin.
    One open CTA per account and reason: an existing retention CTA is refreshed, not
    duplicated. Supports `dry_run`.
    """
    if params.account_ids is not None:
        ids = sorted(set(params.account_ids))
        found = set(
            account_list_for_actor(ctx.actor).filter(pk__in=ids).values_list("pk", flat=True)
        )
        absent = [a for a in ids if a not in found]
        if absent:
            raise NotFound(
                f"accounts not found in your book of business: {absent}",
                details={"field": "account_ids", "account_ids": absent},
            )
    else:
        segment = segment_get(params.segment_key)
        ids = list(
            segment_member_accounts_for_actor(ctx.actor, segment).values_list("pk", flat=True)
        )
    created = params.campaign_id is None
    if created:
        campaign = campaign_create(
            name=params.campaign_name,
            trigger_rules=None,
            cta=CtaAction(
                title=params.cta_title or f"Retention: {params.campaign_name}",
                priority=params.cta_priority,
                due_in_days=params.due_in_days,
            ),
            status=CampaignStatus.ACTIVE,
            actor=ctx.actor,
        )
    else:
        campaign = retention_campaign_get(params.campaign_id)
        if campaign.status == CampaignStatus.FINISHED:
            raise Conflict(f"campaign {campaign.pk} is finished", details={"field": "campaign_id"})
        changes: dict[str, Any] = {}
        if not campaign.actions:
            # A campaign created elsewhere without actions still gets its CTA.
            cta = CtaAction(f"Retention: {campaign.name}", params.cta_priority, params.due_in_days)
            changes["actions"] = [cta.as_dict()]
        if campaign.status == CampaignStatus.DRAFT:
            changes["status"] = CampaignStatus.ACTIVE
        campaign_update(campaign=campaign, changes=changes, actor=ctx.actor)
    result = campaign_enroll(campaign=campaign, account_ids=ids, now=ctx.now, actor=ctx.actor)
    ctx.audit(campaign, changes={"enrolled": result.__dict__})
    return ExecuteRetentionCampaignOutput(
        as_of=ctx.now,
        dry_run=params.dry_run,
        campaign_id=campaign.pk,
        campaign_name=campaign.name,
        campaign_created=created,
        accounts_targeted=result.targeted,
        enrolled_new=result.enrolled_new,
        reactivated=result.reactivated,
        already_active=result.already_active,
        ctas_created=result.ctas_created,
        ctas_updated=result.ctas_updated,
    )


@tool(permission="read", read_only=True)
def monitor_satisfaction(
    ctx: ToolContext, params: MonitorSatisfactionInput
) -> MonitorSatisfactionOutput:
    """NPS, CSAT and CES computed from survey answers over the last `days`.

    Returns the overall NPS (−100..100 from 0–10 answers) with promoters/passives/
    detractors, CSAT and CES averages and satisfied/easy shares, a monthly series, and a
    page of per-account results (`only_at_risk` keeps accounts with a detractor or a
    CSAT ≤ 2). For one account pass `account_id`. No answers → nulls, named in `missing`.
    """
    since = ctx.now - timedelta(days=params.days)
    scope = account_list_for_actor(ctx.actor)
    if params.account_id is not None:
        scope = scope.filter(pk=account_get_for_actor(ctx.actor, params.account_id).pk)
    responses = survey_responses_in_window(scope, since=since, until=ctx.now)
    overall = satisfaction_overall(responses)
    raw = cursor_decode(params.cursor, required_keys=("id",))
    rows, has_next = satisfaction_accounts_page(
        responses,
        only_at_risk=params.only_at_risk,
        after_account_id=raw.get("id"),
        limit=params.limit,
    )
    missing = [
        name
        for name, n in (
            ("nps", overall["nps_responses"]),
            ("csat", overall["csat_responses"]),
            ("ces", overall["ces_responses"]),
        )
        if n == 0
    ]
    nxt = cursor_encode({"id": rows[-1]["account_id"]}) if has_next else None
    return MonitorSatisfactionOutput(
        as_of=ctx.now,
        since=since,
        definitions=SATISFACTION_DEFINITIONS,
        overall=overall,
        monthly=satisfaction_monthly(responses),
        accounts=rows,
        missing=missing,
        page=PageInfo(next_cursor=nxt, has_next=has_next, limit=params.limit),
    )


def _campaign_row(ctx: ToolContext, c: Campaign, active: int | None = None) -> dict[str, Any]:
    return {
        "id": c.pk,
        "name": c.name,
        "status": c.status,
        "trigger_rules": c.trigger_rules,
        "actions": c.actions,
        "active_enrollments_in_scope": active
        if active is not None
        else campaign_active_in_scope(ctx.actor, c),
        "created_at": c.created_at,
    }


def _cta_changes(params: AutomateRetentionCampaignsInput, current: list[dict]) -> list[dict]:
    base = campaign_actions_validate(current)[0] if current else None
    return [
        CtaAction(
            title=params.cta_title or (base.title if base else "Retention follow-up"),
            priority=params.cta_priority or (base.priority if base else "high"),
            due_in_days=params.due_in_days
            if params.due_in_days is not None
            else (base.due_in_days if base else 7),
        ).as_dict()
    ]


@tool(permission="write", read_only=False, idempotent=False, read_actions=("list",))
def automate_retention_campaigns(
    ctx: ToolContext, params: AutomateRetentionCampaignsInput
) -> AutomateRetentionCampaignsOutput:
    """Rule-triggered retention campaigns, evaluated by a scheduled task.

    `list` retention campaigns (with active enrolments in your book). Managers can
    `create` one with trigger `conditions` in the segment rule language (e.g.
    {field: "usage_trend_pct", op: "lte", value: -30}) and the CTA to open; `update`
    its rules, CTA or status (only `active` campaigns are evaluated); `run_now` evaluates
    immediately: matching active accounts are enrolled with a CTA, enrolments whose
    account no longer matches are exited. `run_now` supports `dry_run`.
    """
    out: dict[str, Any] = {"as_of": ctx.now, "action": params.action, "dry_run": params.dry_run}
    if params.action == "list":
        raw = cursor_decode(params.cursor, required_keys=("id",))
        rows, has_next = retention_campaign_page_for_actor(
            ctx.actor, after_id=raw.get("id"), limit=params.limit
        )
        out["campaigns"] = [_campaign_row(ctx, c, c.active_in_scope) for c in rows]
        nxt = cursor_encode({"id": rows[-1].pk}) if has_next else None
        out["page"] = PageInfo(next_cursor=nxt, has_next=has_next, limit=params.limit)
        return AutomateRetentionCampaignsOutput(**out)
    if not _is_manager(ctx):
        raise PermissionDenied(
            f"{params.action} is for CS managers: automated campaigns act on every book",
            details={"field": "action", "role": ctx.actor.role},
        )
    rules = None
    if params.conditions is not None:
        rules = {
            "match": params.match or "all",
            "conditions": [c.model_dump() for c in params.conditions],
        }
    if params.action == "create":
        action = _cta_changes(params, [])[0]
        campaign = campaign_create(
            name=params.name,
            trigger_rules=rules,
            cta=CtaAction(action["title"], action["priority"], action["due_in_days"]),
            status=params.status or CampaignStatus.ACTIVE,
            actor=ctx.actor,
        )
    else:
        campaign = retention_campaign_get(params.campaign_id)
    if params.action == "update":
        changes: dict[str, Any] = {}
        if params.name is not None:
            changes["name"] = params.name
        if params.status is not None:
            changes["status"] = params.status
        if rules is not None or params.match is not None:
            changes["trigger_rules"] = rules or {**campaign.trigger_rules, "match": params.match}
        if any(v is not None for v in (params.cta_title, params.cta_priority, params.due_in_days)):
            changes["actions"] = _cta_changes(params, campaign.actions)
        diff = campaign_update(campaign=campaign, changes=changes, actor=ctx.actor)
        out["changed"] = [{"field": f, **v} for f, v in diff.items()]
    if params.action == "run_now":
        out["evaluation"] = campaign_evaluate(campaign=campaign, now=ctx.now, actor=ctx.actor)
    ctx.audit(campaign, changes={"action": params.action, "evaluation": out.get("evaluation")})
    out["campaign"] = _campaign_row(ctx, campaign)
    return AutomateRetentionCampaignsOutput(**out)
