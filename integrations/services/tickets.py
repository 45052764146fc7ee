"""Creating and changing support tickets: SLA targets by priority, validated status
transitions, response/resolution times, and mirroring to Zendesk.

Mirroring happens after commit: a change that Zendesk must see stores an outbox row in
the same transaction (``TicketChange.delivery``) and leaves the ticket's
``mirror_status`` "pending". The caller enqueues the delivery with
``integrations.tasks.outbox_deliver_on_commit``; a row nobody enqueued is picked up by the
``integrations.outbox_redrive`` beat task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import field_error
from cs_platform.core.records import RecordSpec, WriteServices, account_in_scope
from cs_platform.core.tickets import TICKET_RESOLVED_STATUSES, TICKET_STATUS_TRANSITIONS
from customers.models import Account, Contact
from integrations.models import (
    OutboxKind,
    OutboxMessage,
    SupportTicket,
    TicketComment,
    TicketPriority,
    TicketStatus,
)
from integrations.selectors.outbox import outbox_unfinished_for_ticket
from integrations.selectors.support_desk import sla_policy_targets_for
from integrations.services.outbox.messages import outbox_message_create, outbox_message_rearm
from integrations.services.ticket_mirror import MIRROR_PENDING, mirror_connection_for
from integrations.services.ticket_sla import (
    sla_state,
    status_transition_allowed,
)

UPDATABLE_FIELDS = ("subject", "status", "priority", "assignee", "tags")


@dataclass
class TicketChange:
    ticket: SupportTicket
    diff: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The Zendesk call this change queued (None: the ticket is not mirrored).
    delivery: OutboxMessage | None = None


def ticket_sla_refresh(ticket: SupportTicket, *, now: datetime) -> None:
    """Set ``sla_breached`` from the ticket's targets and times as of ``now``."""
    ticket.sla_breached = sla_state(
        opened_at=ticket.opened_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        first_response_minutes=ticket.sla_first_response_minutes,
        resolution_minutes=ticket.sla_resolution_minutes,
        now=now,
    ).breached


def _audit(actor: Actor, action: str, change: TicketChange) -> None:
    ticket = change.ticket
    changes: dict[str, Any] = {"diff": change.diff}
    if change.delivery is not None:
        changes["mirror"] = {"delivery_id": change.delivery.pk, "status": MIRROR_PENDING}
    audit_record(actor, action, ticket, changes=changes)


def _queue_mirror(
    change: TicketChange, *, now: datetime, comment: TicketComment | None = None
) -> None:
    """Queue the Zendesk call that brings the copy up to date with this change."""
    ticket = change.ticket
    connection = mirror_connection_for(ticket)
    if connection is None:
        return
    creating = ticket.external_id is None and outbox_unfinished_for_ticket(ticket.pk) is None
    if creating:
        ticket.connection = connection  # the ticket is now mirrored by it
    ticket.mirror_status, ticket.mirror_error = MIRROR_PENDING, ""
    change.delivery = outbox_message_create(
        kind=OutboxKind.TICKET_CREATE if creating else OutboxKind.TICKET_UPDATE,
        connection=connection,
        ticket=ticket,
        comment=comment,
        now=now,
    )


def _contact_of(account: Account, contact_id: int | None) -> Contact | None:
    if contact_id is None:
        return account.contacts.filter(is_primary=True, erased_at__isnull=True).first()
    contact = account.contacts.filter(pk=contact_id).first()
    if contact is None:
        raise field_error("contact_id", "no contact with this id on this account", code="unknown")
    return contact


def ticket_create(
    *,
    actor: Actor,
    account: Account,
    subject: str,
    description: str,
    priority: str = TicketPriority.NORMAL,
    contact_id: int | None = None,
    tags: list[str] | None = None,
    assignee: str = "",
    now: datetime,
) -> TicketChange:
    """Open a ticket with the SLA targets of its priority; queue its Zendesk copy."""
    subject = (subject or "").strip()
    if not subject:
        raise field_error("subject", "a ticket needs a subject", code="required")
    if priority not in TicketPriority.values:
        raise field_error("priority", f"must be one of {', '.join(TicketPriority.values)}")
    first_response, resolution = sla_policy_targets_for(priority)
    with transaction.atomic():
        ticket = SupportTicket(
            account=account,
            contact=_contact_of(account, contact_id),
            subject=subject[:300],
            description=(description or "").strip(),
            status=TicketStatus.NEW,
            priority=priority,
            channel="cs_platform",
            assignee=assignee,
            tags=sorted(set(tags or [])),
            opened_at=now,
            sla_first_response_minutes=first_response,
            sla_resolution_minutes=resolution,
        )
        ticket.save()
        change = TicketChange(ticket=ticket, diff={"created": {"before": None, "after": ticket.pk}})
        _queue_mirror(change, now=now)
        ticket_sla_refresh(ticket, now=now)
        ticket.save()
        _audit(actor, "ticket.created", change)
    return change


def _apply_status(ticket: SupportTicket, new: str, now: datetime) -> None:
    if not status_transition_allowed(ticket.status, new):
        allowed = ", ".join(sorted(TICKET_STATUS_TRANSITIONS[ticket.status])) or "none (final)"
        raise field_error(
            "status",
            f"cannot move a '{ticket.status}' ticket to '{new}' (allowed: {allowed})",
            code="invalid_transition",
        )
    if new in TICKET_RESOLVED_STATUSES and ticket.resolved_at is None:
        ticket.resolved_at = now
    elif new not in TICKET_RESOLVED_STATUSES:
        ticket.resolved_at = None  # reopened: the resolution clock runs again
    ticket.status = new


def ticket_update(
    *,
    actor: Actor,
    ticket: SupportTicket,
    changes: dict[str, Any],
    comment: str | None = None,
    comment_public: bool = True,
    now: datetime,
) -> TicketChange:
    """Apply ``changes`` (any of ``UPDATABLE_FIELDS``) and an optional agent comment.

    A public comment is the first response when there was none. A priority change
    re-targets the SLA. The Zendesk copy gets the new state and the comment (queued)."""
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise field_error(sorted(unknown)[0], "cannot be changed through this action")
    if ticket.status == TicketStatus.CLOSED:
        raise field_error("ticket_id", "the ticket is closed; closed tickets are final")
    change = TicketChange(ticket=ticket)
    before = {name: getattr(ticket, name) for name in UPDATABLE_FIELDS}
    with transaction.atomic():
        if "status" in changes and changes["status"] != ticket.status:
            _apply_status(ticket, changes["status"], now)
        if "priority" in changes and changes["priority"] != ticket.priority:
            if changes["priority"] not in TicketPriority.values:
                raise field_error("priority", "is not a ticket priority")
            ticket.priority = changes["priority"]
            first_response, resolution = sla_policy_targets_for(ticket.priority)
            ticket.sla_first_response_minutes = first_response
            ticket.sla_resolution_minutes = resolution
        if "subject" in changes:
            if not (changes["subject"] or "").strip():
                raise field_error("subject", "cannot be empty", code="required")
            ticket.subject = changes["subject"].strip()[:300]
        if "assignee" in changes:
            ticket.assignee = changes["assignee"] or ""
        if "tags" in changes:
            ticket.tags = sorted(set(changes["tags"] or []))
        for name in UPDATABLE_FIELDS:
            if getattr(ticket, name) != before[name]:
                change.diff[name] = {"before": before[name], "after": getattr(ticket, name)}
        comment = (comment or "").strip() or None
        comment_row = None
        if comment:
            comment_row = TicketComment.objects.create(
                ticket=ticket,
                author=actor.user.get_username(),
                body=comment,
                public=comment_public,
                created_at=now,
            )
            change.diff["comment"] = {"before": None, "after": {"public": comment_public}}
            if comment_public and ticket.first_response_at is None:
                ticket.first_response_at = now
                change.diff["first_response_at"] = {"before": None, "after": now}
        if change.diff:
            _queue_mirror(change, now=now, comment=comment_row)
        ticket_sla_refresh(ticket, now=now)
        ticket.save()
        _audit(actor, "ticket.updated", change)
    return change


def ticket_mirror_retry(*, actor: Actor, ticket: SupportTicket, now: datetime) -> TicketChange:
    """Send the ticket's current state to Zendesk again (create when it has no copy).

    A delivery still pending is made due now instead of queueing another."""
    if mirror_connection_for(ticket) is None:
        raise field_error(
            "ticket_id", "no Zendesk connection mirrors this ticket", code="not_mirrored"
        )
    change = TicketChange(ticket=ticket)
    with transaction.atomic():
        waiting = outbox_unfinished_for_ticket(ticket.pk)
        if waiting is not None:
            outbox_message_rearm(waiting, now=now)
            change.delivery = waiting
        else:
            _queue_mirror(change, now=now)
        ticket_sla_refresh(ticket, now=now)
        ticket.save()
        _audit(actor, "ticket.mirror_retried", change)
    return change


# --- the admin's entry points: the same services, from a form's fields ---------------

TICKET_RECORD = RecordSpec(
    SupportTicket, "ticket", account="account", personal=frozenset({"subject", "description"})
)
TICKET_CREATE_FIELDS = (
    "account_id",
    "contact_id",
    "subject",
    "description",
    "priority",
    "tags",
    "assignee",
)


def _ticket_from_fields(*, actor: Actor, fields: dict[str, Any]) -> SupportTicket:
    change = ticket_create(
        actor=actor,
        account=account_in_scope(actor, fields.get("account_id")),
        subject=fields.get("subject") or "",
        description=fields.get("description") or "",
        priority=fields.get("priority") or TicketPriority.NORMAL,
        contact_id=fields.get("contact_id"),
        tags=fields.get("tags") or [],
        assignee=fields.get("assignee") or "",
        now=clock.now(),
    )
    return change.ticket


TICKET_WRITES = WriteServices(
    create=_ticket_from_fields,
    update=lambda *, actor, instance, changes: ticket_update(
        actor=actor, ticket=instance, changes=changes, now=clock.now()
    ),
    delete=TICKET_RECORD.writes().delete,
    create_fields=TICKET_CREATE_FIELDS,
    update_fields=UPDATABLE_FIELDS,
)
