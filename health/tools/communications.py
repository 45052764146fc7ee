"""automate_communications: stored trigger → e-mail rules, evaluated by a beat task
(`health.communication_rules_evaluate`) or on demand, once per account and window."""

from __future__ import annotations

from typing import Any

from cs_platform.core.errors import PermissionDenied, field_error
from cs_platform.core.models import Role
from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_list_for_actor
from health.services.communications import (
    communication_rule_create,
    communication_rule_evaluate,
    communication_rule_get,
    communication_rule_update,
)
from health.tools.communications_contracts import (
    AutomateCommunicationsInput,
    AutomateCommunicationsOutput,
)
from integrations.models import CommunicationFiring, CommunicationRule

FIELDS = ("name", "recipient", "category", "subject", "body", "window_days", "status")


def _rule_row(rule: CommunicationRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "status": rule.status,
        "conditions": rule.conditions,
        "recipient": rule.recipient,
        "category": rule.category,
        "subject": rule.subject,
        "body": rule.body,
        "window_days": rule.window_days,
        "last_evaluated_at": rule.last_evaluated_at,
    }


def _firings(ctx: ToolContext, rule: CommunicationRule, limit: int) -> list[dict[str, Any]]:
    rows = (
        CommunicationFiring.objects.filter(rule=rule, account__in=account_list_for_actor(ctx.actor))
        .select_related("account", "email_message")
        .order_by("-fired_at", "-pk")[:limit]
    )
    return [
        {
            "account_id": f.account_id,
            "account_name": f.account.name,
            "window_start": f.window_start,
            "fired_at": f.fired_at,
            "status": f.status,
            "skip_reason": f.skip_reason or None,
            "email_message_id": f.email_message_id,
            "email_status": f.email_message.status if f.email_message else None,
        }
        for f in rows
    ]


@tool(
    permission="write", read_only=False, idempotent=False, read_actions=("list", "get", "firings")
)
def automate_communications(
    ctx: ToolContext, params: AutomateCommunicationsInput
) -> AutomateCommunicationsOutput:
    """Rules that e-mail an account's contact (primary or a role) when the account matches
    segment-rule `conditions`, at most once per account per window_days; a beat task runs
    active rules hourly. Opt-outs, erasure and marketing consent are honoured (skipped
    with the reason). `firings` shows who was e-mailed; `run_now` supports dry_run."""
    out: dict[str, Any] = {
        "as_of": ctx.now,
        "action": params.action,
        "dry_run": params.dry_run,
        "rule": None,
        "rules": None,
        "firings": None,
        "changed": None,
        "evaluation": None,
    }
    if params.action == "list":
        rules = CommunicationRule.objects.order_by("name")[: params.limit]
        out["rules"] = [_rule_row(r) for r in rules]
        return AutomateCommunicationsOutput(**out)
    if params.action in ("create", "update", "run_now") and not (
        ctx.actor.role == Role.MANAGER or ctx.actor.user.is_superuser
    ):
        raise PermissionDenied(
            f"{params.action} is for CS managers: rules e-mail every book",
            details={"field": "action", "role": ctx.actor.role},
        )
    fields = {k: getattr(params, k) for k in FIELDS if getattr(params, k) is not None}
    if params.conditions is not None:
        fields["conditions"] = {
            "match": params.match or "all",
            "conditions": [c.model_dump() for c in params.conditions],
        }
    if params.action == "create":
        for required in ("name", "conditions", "subject", "body"):
            if required not in fields:
                raise field_error(required, "is required to create a rule", code="required")
        rule = communication_rule_create(actor=ctx.actor, fields=fields)
    else:
        if params.rule_id is None:
            raise field_error("rule_id", f"is required to {params.action}", code="required")
        rule = communication_rule_get(
            params.rule_id, for_update=params.action in ("update", "run_now")
        )
    if params.action == "update":
        if params.match is not None and "conditions" not in fields:
            fields["conditions"] = {**rule.conditions, "match": params.match}
        diff = communication_rule_update(actor=ctx.actor, rule=rule, changes=fields)
        out["changed"] = [{"field": f, **v} for f, v in diff.items()]
    if params.action == "run_now":
        out["evaluation"] = communication_rule_evaluate(rule=rule, now=ctx.now, actor=ctx.actor)
    if params.action in ("firings", "run_now"):
        out["firings"] = _firings(ctx, rule, params.limit)
    if params.action in ("create", "update", "run_now"):
        ctx.audit(rule, changes={"action": params.action})
    out["rule"] = _rule_row(rule)
    return AutomateCommunicationsOutput(**out)
