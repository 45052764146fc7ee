"""Escalations: opened with a severity, due within that severity's SLA, then acknowledged
and resolved. The SLA maths is a pure function so it can be checked by hand."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import field_error
from cs_platform.core.records import (
    RecordSpec,
    WriteServices,
    account_assignee_check,
    account_in_scope,
    as_row,
    record_delete,
)
from cs_platform.core.services import fields_check, model_update
from customers.models import CTA, Account, Escalation, EscalationStatus, Priority

# Hours from opening to the SLA deadline per severity: an urgent escalation (production
# down, executive complaint) needs an answer within a working half-day; a low one within
# a week. Callers may override per escalation with `sla_hours`.
SLA_HOURS_BY_SEVERITY: dict[str, int] = {
    Priority.URGENT: 4,
    Priority.HIGH: 24,
    Priority.MEDIUM: 72,
    Priority.LOW: 168,
}


def escalation_sla_due(
    *, severity: str, opened_at: datetime, sla_hours: int | None = None
) -> datetime:
    """When an escalation of `severity` opened at `opened_at` must be resolved."""
    if severity not in SLA_HOURS_BY_SEVERITY:
        raise field_error("severity", f"must be one of {', '.join(SLA_HOURS_BY_SEVERITY)}")
    hours = sla_hours if sla_hours is not None else SLA_HOURS_BY_SEVERITY[severity]
    return opened_at + timedelta(hours=hours)


ESCALATION_RECORD = RecordSpec(Escalation, "escalation", account="account")
UPDATABLE_FIELDS = ("status", "severity", "summary", "owner_id", "sla_hours")
CREATE_FIELDS = ("account_id", "severity", "summary", "owner_id", "ticket_id", "cta_id")


def _owner(owner_id: int | None, account_id: int) -> Any:
    """The assignee, who must be able to see and work the account."""
    if owner_id is None:
        return None
    account_assignee_check(account_id, owner_id, field="owner_id")
    return get_user_model().objects.get(pk=owner_id)


def _ticket_on_account(ticket_id: int, account: Account) -> bool:
    # Tickets belong to integrations, a layer above customers: the escalation's own
    # foreign key names the model, so this app does not import it.
    tickets = Escalation._meta.get_field("ticket").related_model._default_manager
    return tickets.filter(pk=ticket_id, account=account).exists()


def escalation_open(
    *,
    account: Account,
    severity: str,
    summary: str,
    owner_id: int | None,
    ticket_id: int | None,
    cta_id: int | None,
    sla_hours: int | None,
    actor: Actor,
    now: datetime,
) -> Escalation:
    """Open an escalation on `account`; the ticket and CTA, if named, must be the account's."""
    summary = (summary or "").strip()
    if not summary:
        raise field_error("summary", "an escalation needs a summary", code="required")
    if ticket_id is not None and not _ticket_on_account(ticket_id, account):
        raise field_error("ticket_id", "no ticket with this id on this account", code="unknown")
    if cta_id is not None and not CTA.objects.filter(pk=cta_id, account=account).exists():
        raise field_error("cta_id", "no CTA with this id on this account", code="unknown")
    owner = _owner(owner_id, account.pk) if owner_id is not None else account.owner
    with transaction.atomic():
        escalation = Escalation.objects.create(
            account=account,
            severity=severity,
            summary=summary[:300],
            owner=owner,
            ticket_id=ticket_id,
            cta_id=cta_id,
            opened_at=now,
            sla_due_at=escalation_sla_due(severity=severity, opened_at=now, sla_hours=sla_hours),
        )
        audit_record(
            actor,
            "escalation.opened",
            escalation,
            changes={"severity": severity, "summary": summary},
        )
    return escalation


_TRANSITIONS = {
    EscalationStatus.OPEN: {EscalationStatus.ACKNOWLEDGED, EscalationStatus.RESOLVED},
    EscalationStatus.ACKNOWLEDGED: {EscalationStatus.OPEN, EscalationStatus.RESOLVED},
    EscalationStatus.RESOLVED: {EscalationStatus.OPEN},  # reopening restarts nothing but status
}


def escalation_update(
    *,
    escalation: Escalation,
    changes: dict[str, Any],
    actor: Actor,
    now: datetime | None = None,
) -> dict[str, dict[str, Any]]:
    """Apply status / severity / summary / owner changes; returns each field's before/after.

    A severity change recomputes the SLA deadline from the original opening time (the
    clock does not restart); resolving stamps `resolved_at`, reopening clears it.
    """
    fields_check(changes, UPDATABLE_FIELDS)
    now = now or clock.now()
    new: dict[str, Any] = {}
    status = changes.get("status")
    if status is not None and status != escalation.status:
        if status not in _TRANSITIONS.get(escalation.status, set()):
            raise field_error("status", f"cannot move from {escalation.status} to {status}")
        new["status"] = status
        new["resolved_at"] = now if status == EscalationStatus.RESOLVED else None
    severity = changes.get("severity")
    if severity is not None or changes.get("sla_hours") is not None:
        new["severity"] = severity or escalation.severity
        new["sla_due_at"] = escalation_sla_due(
            severity=new["severity"],
            opened_at=escalation.opened_at,
            sla_hours=changes.get("sla_hours"),
        )
    if changes.get("summary") is not None:
        summary = changes["summary"].strip()
        if not summary:
            raise field_error("summary", "must not be empty", code="required")
        new["summary"] = summary[:300]
    if changes.get("owner_id") is not None:
        if changes["owner_id"] != escalation.owner_id:
            new["owner_id"] = _owner(changes["owner_id"], escalation.account_id).pk
    with transaction.atomic():
        diff = model_update(escalation, new)
        if diff:
            audit_record(actor, "escalation.updated", escalation, changes={"diff": diff})
    return diff


def escalation_delete(*, actor: Actor, escalation: Escalation) -> None:
    record_delete(ESCALATION_RECORD, actor=actor, instance=escalation)


def _open_from_fields(*, actor: Actor, fields: dict[str, Any]) -> Escalation:
    return escalation_open(
        account=account_in_scope(actor, fields.get("account_id")),
        severity=fields.get("severity") or "",
        summary=fields.get("summary") or "",
        owner_id=fields.get("owner_id"),
        ticket_id=fields.get("ticket_id"),
        cta_id=fields.get("cta_id"),
        sla_hours=None,
        actor=actor,
        now=clock.now(),
    )


ESCALATION_WRITES = WriteServices(
    create=_open_from_fields,
    update=as_row("escalation", escalation_update),
    delete=as_row("escalation", escalation_delete),
    create_fields=CREATE_FIELDS,
    update_fields=UPDATABLE_FIELDS,
)
