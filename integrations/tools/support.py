"""Support tools: local tickets with SLA targets, mirrored to Zendesk after commit."""

from __future__ import annotations

from datetime import datetime

from cs_platform.core.contracts import PageInfo
from cs_platform.core.errors import InvalidInput
from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_get_for_actor
from integrations.models import SupportTicket
from integrations.selectors.support_tickets import ticket_get_for_actor, ticket_page_for_actor
from integrations.services.ticket_sla import sla_state
from integrations.services.tickets import (
    TicketChange,
    ticket_create,
    ticket_mirror_retry,
    ticket_update,
)
from integrations.tasks import outbox_deliver_on_commit
from integrations.tools.support_contracts import (
    HandleSupportTicketInput,
    HandleSupportTicketOutput,
    MirrorDelivery,
    TicketOut,
)

_REQUIRED = {
    "create": ("account_id", "subject"),
    "update": ("ticket_id",),
    "get": ("ticket_id",),
    "retry_mirror": ("ticket_id",),
    "list": (),
}
_ALLOWED = {
    "create": {
        "account_id",
        "subject",
        "description",
        "priority",
        "contact_id",
        "assignee",
        "tags",
    },
    "update": {"ticket_id", "subject", "priority", "status", "assignee", "tags", "comment"},
    "get": {"ticket_id"},
    "retry_mirror": {"ticket_id"},
    "list": {"account_id", "status", "priority"},
}
_OPTIONAL = {
    "ticket_id",
    "account_id",
    "subject",
    "description",
    "priority",
    "status",
    "contact_id",
    "assignee",
    "tags",
    "comment",
}


def _check_fields(params: HandleSupportTicketInput) -> None:
    """Which fields an action takes, named field by field (nothing is silently ignored)."""
    errors = [
        {"field": name, "message": f"required for action '{params.action}'", "type": "required"}
        for name in _REQUIRED[params.action]
        if getattr(params, name) in (None, "")
    ]
    errors += [
        {"field": name, "message": f"not used by action '{params.action}'", "type": "unexpected"}
        for name in sorted(_OPTIONAL - _ALLOWED[params.action])
        if getattr(params, name) is not None
    ]
    if params.action == "update" and not errors:
        changes = {"subject", "priority", "status", "assignee", "tags", "comment"}
        if all(getattr(params, name) is None for name in changes):
            errors.append(
                {"field": "body", "message": "update needs a field or a comment", "type": "empty"}
            )
    if errors:
        fields = ", ".join(e["field"] for e in errors)
        raise InvalidInput(f"invalid arguments: {fields}", details={"errors": errors})


def _ticket_out(ticket: SupportTicket, now: datetime) -> TicketOut:
    sla = sla_state(
        opened_at=ticket.opened_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        first_response_minutes=ticket.sla_first_response_minutes,
        resolution_minutes=ticket.sla_resolution_minutes,
        now=now,
    )
    provider = getattr(ticket, "mirror_provider", None)
    if provider is None and ticket.connection_id is not None:
        provider = ticket.connection.provider
    return TicketOut(
        id=ticket.pk,
        account_id=ticket.account_id,
        contact_id=ticket.contact_id,
        subject=ticket.subject,
        description=ticket.description,
        status=ticket.status,
        priority=ticket.priority,
        channel=ticket.channel,
        assignee=ticket.assignee,
        tags=list(ticket.tags or []),
        opened_at=ticket.opened_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        satisfaction=ticket.satisfaction,
        sla={
            "first_response_target_minutes": ticket.sla_first_response_minutes,
            "first_response_due_at": sla.first_response_due_at,
            "first_response_breached": sla.first_response_breached,
            "resolution_target_minutes": ticket.sla_resolution_minutes,
            "resolution_due_at": sla.resolution_due_at,
            "resolution_breached": sla.resolution_breached,
            "breached": sla.breached,
        },
        mirror={
            "provider": provider,
            "external_id": ticket.external_id,
            "status": ticket.mirror_status,
            "error": ticket.mirror_error or None,
        },
        updated_at=ticket.updated_at,
    )


def _written(ctx: ToolContext, action: str, change: TicketChange) -> HandleSupportTicketOutput:
    ticket = change.ticket
    ctx.audit(ticket, changes={"diff": list(change.diff)}, account_id=ticket.account_id)
    delivery = change.delivery
    if delivery is not None:
        outbox_deliver_on_commit([delivery.pk])
    return HandleSupportTicketOutput(
        as_of=ctx.now,
        action=action,
        ticket=_ticket_out(ticket, ctx.now),
        changed=sorted(change.diff),
        mirror=MirrorDelivery(delivery_id=delivery.pk, status=delivery.status)
        if delivery is not None
        else None,
        tickets=[],
        page=None,
    )


@tool(permission="write", read_only=False, idempotent=False, read_actions=("get", "list"))
def handle_support_ticket(
    ctx: ToolContext, params: HandleSupportTicketInput
) -> HandleSupportTicketOutput:
    """Create, update, read or list support tickets; new and changed tickets are
    mirrored to Zendesk (after commit) when a Zendesk connection exists.

    SLA targets follow the priority (urgent 1 h first response / 8 h resolution; high
    4 h / 24 h; normal 8 h / 72 h; low 24 h / 120 h), and every ticket in an answer
    carries its due times and whether each is breached as of `as_of`. Status moves are
    validated (new → open/pending/hold/solved; solved → open/closed; closed is final).
    A public `comment` on update records the first response.

    Zendesk is called after the change is saved: a write answers `mirror.status:
    pending`; `get` the ticket later for `ticket.mirror` (synced with the Zendesk id, or
    failed with the error: 5xx and timeouts are retried first, a 4xx is final). The
    local ticket is kept either way; `retry_mirror` sends its state again. `list` pages
    newest first (`breached_only` for overdue tickets). Send an `idempotency_key` on create.
    """
    _check_fields(params)
    action = params.action
    if action == "create":
        account = account_get_for_actor(ctx.actor, params.account_id)
        change = ticket_create(
            actor=ctx.actor,
            account=account,
            subject=params.subject or "",
            description=params.description or "",
            priority=params.priority or "normal",
            contact_id=params.contact_id,
            tags=params.tags,
            assignee=params.assignee or "",
            now=ctx.now,
        )
        return _written(ctx, action, change)
    if action == "update":
        ticket = ticket_get_for_actor(ctx.actor, params.ticket_id, for_update=True)
        fields = ("subject", "priority", "status", "assignee", "tags")
        changes = {f: getattr(params, f) for f in fields if getattr(params, f) is not None}
        change = ticket_update(
            actor=ctx.actor,
            ticket=ticket,
            changes=changes,
            comment=params.comment,
            comment_public=params.comment_public,
            now=ctx.now,
        )
        return _written(ctx, action, change)
    if action == "retry_mirror":
        ticket = ticket_get_for_actor(ctx.actor, params.ticket_id, for_update=True)
        return _written(
            ctx, action, ticket_mirror_retry(actor=ctx.actor, ticket=ticket, now=ctx.now)
        )
    if action == "get":
        ticket = ticket_get_for_actor(ctx.actor, params.ticket_id)
        return HandleSupportTicketOutput(
            as_of=ctx.now,
            action=action,
            ticket=_ticket_out(ticket, ctx.now),
            changed=[],
            mirror=None,
            tickets=[],
            page=None,
        )
    if params.account_id is not None:
        account_get_for_actor(ctx.actor, params.account_id)  # out of scope → not_found
    rows, next_cursor = ticket_page_for_actor(
        ctx.actor,
        now=ctx.now,
        account_id=params.account_id,
        statuses=[params.status] if params.status else None,
        priority=params.priority,
        breached_only=params.breached_only,
        cursor=params.cursor,
        limit=params.limit,
    )
    return HandleSupportTicketOutput(
        as_of=ctx.now,
        action=action,
        ticket=None,
        changed=[],
        mirror=None,
        tickets=[_ticket_out(t, ctx.now) for t in rows],
        page=PageInfo(
            next_cursor=next_cursor, has_next=next_cursor is not None, limit=params.limit
        ),
    )
