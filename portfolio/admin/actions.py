"""The account page's actions. Each goes through the one write path: the tool it names,
called with `invoke_tool` as the signed-in user (admin channel), so it is validated,
authorised, scoped and audited exactly as an agent's call; CTAs, which have no tool in the
catalogue, go through the services the CTA admin and the monitors use (`cta_create`,
`cta_close`). A refusal comes back as a message on the page, never a server error."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from cs_platform.core.actors import Actor
from cs_platform.core.errors import DomainError, NotFound, field_error
from cs_platform.core.tools import invoke_tool
from customers.models import CTA, OPEN_CTA, Account, CtaReason, LifecycleStage
from customers.services.ctas import cta_close, cta_create
from health.models import HealthBand
from integrations.services.email import email_preview

PRIORITIES = ("low", "medium", "high", "urgent")


def refusal_text(exc: DomainError) -> str:
    """The tool's or service's own message, with each field error it lists."""
    listed = exc.details.get("errors") if isinstance(exc.details, dict) else None
    parts = [
        f"{e.get('field')}: {e.get('message')}" if e.get("field") else str(e.get("message"))
        for e in listed or []
        if isinstance(e, dict)
    ]
    return exc.message + (" (" + "; ".join(parts) + ")" if parts else "")


def _text(request: HttpRequest, name: str, *, required: bool = True, limit: int = 50_000) -> str:
    value = (request.POST.get(name) or "").strip()
    if "\x00" in value:
        raise field_error(name, "contains a NUL character")
    if required and not value:
        raise field_error(name, "is required")
    if len(value) > limit:
        raise field_error(name, f"is longer than {limit} characters")
    return value


def _int(request: HttpRequest, name: str) -> int:
    raw = (request.POST.get(name) or "").strip()
    if not raw.isdigit() or len(raw) > 12:
        raise field_error(name, "must be a positive whole number")
    return int(raw)


def _choice(request: HttpRequest, name: str, choices: tuple[str, ...]) -> str:
    value = _text(request, name)
    if value not in choices:
        raise field_error(name, f"must be one of {', '.join(choices)}")
    return value


def recalculate_health(request: HttpRequest, actor: Actor, account: Account) -> str:
    out = invoke_tool("calculate_health_score", actor, {"account_id": account.pk})
    score = out.get("score")
    shown = "no score (no data)" if score is None else f"{float(score):.1f}"
    return f"Health recalculated: {shown}, {out.get('band', HealthBand.UNKNOWN)}."


def create_cta(request: HttpRequest, actor: Actor, account: Account) -> str:
    due_raw = _text(request, "due_date", required=False, limit=10)
    try:
        due = date.fromisoformat(due_raw) if due_raw else None
    except ValueError:
        raise field_error("due_date", "must be a date (YYYY-MM-DD)") from None
    cta = cta_create(
        actor=actor,
        fields={
            "account": account,
            "title": _text(request, "title", limit=200),
            "reason": _choice(request, "reason", tuple(CtaReason.values)),
            "priority": _choice(request, "priority", PRIORITIES),
            "due_date": due,
            "owner": actor.user,
            "source": "manual",
        },
    )
    return f"CTA created: {cta.title}."


def close_cta(request: HttpRequest, actor: Actor, account: Account) -> str:
    cta_id = _int(request, "cta_id")
    cta = CTA.objects.filter(OPEN_CTA, pk=cta_id, account_id=account.pk).first()
    if cta is None:
        raise NotFound(f"no open CTA {cta_id} on this account", details={"field": "cta_id"})
    cta_close(actor=actor, cta=cta)
    return f"CTA closed: {cta.title}."


def move_stage(request: HttpRequest, actor: Actor, account: Account) -> str:
    to_stage = _choice(request, "to_stage", tuple(LifecycleStage.values))
    out = invoke_tool(
        "manage_lifecycle_stages",
        actor,
        {
            "action": "move",
            "account_id": account.pk,
            "to_stage": to_stage,
            "reason": _text(request, "reason", limit=300),
        },
    )
    moved = out.get("change") or {}
    return f"Lifecycle stage moved to {moved.get('to_stage', to_stage)}."


def _email_payload(request: HttpRequest) -> dict[str, Any]:
    return {
        "contact_id": _int(request, "contact_id"),
        "subject": _text(request, "subject", limit=300),
        "body": _text(request, "body"),
        "category": _choice(request, "category", ("service", "marketing")),
    }


def preview_email(request: HttpRequest, actor: Actor, account: Account) -> dict[str, Any]:
    """The rendered message, checked like the send (nothing stored): shown for confirming."""
    payload = _email_payload(request)
    rendered = email_preview(actor=actor, **payload)
    return {
        **rendered,
        "contact_id": payload["contact_id"],
        "category": payload["category"],
        "subject_template": payload["subject"],
        "body_template": payload["body"],
    }


def send_email(request: HttpRequest, actor: Actor, account: Account) -> str:
    if request.POST.get("confirmed") != "yes":
        raise field_error("confirmed", "preview the message and confirm it first")
    payload = _email_payload(request)
    key = _text(request, "idempotency_key", limit=200)
    out = invoke_tool("send_personalized_email", actor, {**payload, "idempotency_key": key})
    return (
        f"E-mail to {out['to_email']} queued (message {out['message_id']}); it shows on the "
        "timeline as sent or failed once SendGrid answers."
    )


def start_retention_campaign(request: HttpRequest, actor: Actor, account: Account) -> str:
    due = _int(request, "due_in_days")
    out = invoke_tool(
        "execute_retention_campaign",
        actor,
        {
            "campaign_name": _text(request, "campaign_name", limit=160),
            "account_ids": [account.pk],
            "cta_title": _text(request, "cta_title", limit=200),
            "cta_priority": _choice(request, "cta_priority", PRIORITIES),
            "due_in_days": due,
        },
    )
    return (
        f"Retention campaign “{out['campaign_name']}” started: {out['ctas_created']} CTA "
        f"created, {out['enrolled_new']} account enrolled."
    )


ACTIONS: dict[str, Callable[[HttpRequest, Actor, Account], str]] = {
    "recalculate": recalculate_health,
    "cta-create": create_cta,
    "cta-close": close_cta,
    "stage": move_stage,
    "email-send": send_email,
    "retention": start_retention_campaign,
}


def run_action(request: HttpRequest, actor: Actor, account: Account, name: str) -> bool:
    """Run one action; its outcome (or its refusal) becomes a message. True on success."""
    action = ACTIONS.get(name)
    if action is None:
        messages.error(request, f"No action named {name!r}.")
        return False
    try:
        messages.success(request, action(request, actor, account))
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
        return False
    return True


__all__ = ["ACTIONS", "preview_email", "refusal_text", "run_action"]
