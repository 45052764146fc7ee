"""Applying one stored inbox event to our rows, per provider.

Each function runs inside the inbox's transaction, returns an outcome word for the
delivery summary ("applied", "unchanged", "unmatched", "stale", "ignored") and raises
only on a malformed event (the inbox then records it as failed).

Webhooks update what we already hold; a ticket or conversation we have never seen is
"unmatched" and left to the next incremental sync, which knows how to match accounts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cs_platform.core.tickets import TICKET_RESOLVED_STATUSES
from integrations.models import Connection, SupportTicket
from integrations.selectors.support_desk import sla_policy_targets_for
from integrations.services.email_events import email_event_record
from integrations.services.syncs.mapping import (
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    intercom_conversation_fields,
    parse_time,
)
from integrations.services.tickets import ticket_sla_refresh

_PROVIDER_FIELDS = (
    "status",
    "priority",
    "subject",
    "assignee",
    "tags",
    "first_response_at",
    "resolved_at",
    "satisfaction",
    "source_updated_at",
)


def _ticket_apply(ticket: SupportTicket, values: dict[str, Any], *, now: datetime) -> str:
    """Set the provider's view of the ticket; SLA targets follow the priority."""
    incoming = values.get("source_updated_at")
    if incoming and ticket.source_updated_at and incoming < ticket.source_updated_at:
        return "stale"  # an older event delivered late must not undo a newer state
    if "status" in values and "resolved_at" not in values:
        if values["status"] in TICKET_RESOLVED_STATUSES:
            values["resolved_at"] = ticket.resolved_at or incoming or now
        else:
            values["resolved_at"] = None
    if values.get("first_response_at") and ticket.first_response_at:
        values.pop("first_response_at")  # the first response happens once
    changed = []
    for name in _PROVIDER_FIELDS:
        if name in values and values[name] != getattr(ticket, name):
            setattr(ticket, name, values[name])
            changed.append(name)
    if "priority" in changed:
        first_response, resolution = sla_policy_targets_for(ticket.priority)
        ticket.sla_first_response_minutes = first_response
        ticket.sla_resolution_minutes = resolution
    if not changed or changed == ["source_updated_at"]:
        if changed:
            ticket.save(update_fields=["source_updated_at"])
        return "unchanged"
    ticket_sla_refresh(ticket, now=now)
    ticket.save()
    return "applied"


def _locked_ticket(connection: Connection, external_id: str) -> SupportTicket | None:
    return (
        SupportTicket.objects.select_for_update()
        .filter(connection=connection, external_id=external_id)
        .first()
    )


def zendesk_event_apply(
    connection: Connection, event_id: str, event: dict[str, Any], now: datetime
) -> str:
    """A ``zen:event-type:ticket.*`` event: ``detail`` is the ticket as it is now."""
    kind = str(event.get("type") or "")
    if not kind.startswith("zen:event-type:ticket."):
        return "ignored"
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise ValueError("ticket event without a detail object")
    ticket_id = detail.get("id") or str(event.get("subject") or "").rpartition(":")[2]
    if not ticket_id:
        raise ValueError("ticket event without a ticket id")
    ticket = _locked_ticket(connection, str(ticket_id))
    if ticket is None:
        return "unmatched"
    happened = parse_time(event.get("time"), "time", required=False) or now
    values: dict[str, Any] = {
        "source_updated_at": parse_time(detail.get("updated_at"), "updated_at", required=False)
        or happened
    }
    status = str(detail.get("status") or "").lower()
    if status in TICKET_STATUSES:
        values["status"] = status
    priority = str(detail.get("priority") or "").lower()
    if priority in TICKET_PRIORITIES:
        values["priority"] = priority
    if detail.get("subject"):
        values["subject"] = str(detail["subject"])[:300]
    if isinstance(detail.get("tags"), list):
        values["tags"] = sorted({str(t) for t in detail["tags"]})
    if "assignee_id" in detail:
        values["assignee"] = str(detail["assignee_id"] or "")
    comment = (event.get("event") or {}).get("comment") if kind.endswith("comment_added") else None
    if isinstance(comment, dict) and comment.get("is_public"):
        author = comment.get("author") or {}
        if author.get("is_staff"):
            values["first_response_at"] = happened
    return _ticket_apply(ticket, values, now=now)


def intercom_notification_apply(
    connection: Connection, event_id: str, notification: dict[str, Any], now: datetime
) -> str:
    """A ``conversation.*`` notification carries the whole conversation."""
    item = (notification.get("data") or {}).get("item")
    if not isinstance(item, dict) or item.get("type") != "conversation":
        return "ignored"
    fields = intercom_conversation_fields(item)  # RecordInvalid → failed in the inbox
    ticket = _locked_ticket(connection, fields["external_id"])
    if ticket is None:
        return "unmatched"
    values = {name: fields[name] for name in _PROVIDER_FIELDS if name in fields}
    for name in ("first_response_at", "resolved_at"):
        if fields.get(name) is None:
            values.pop(name, None)  # unknown to Intercom: derived from status or kept
    return _ticket_apply(ticket, values, now=now)


def sendgrid_event_apply(
    connection: Connection, event_id: str, event: dict[str, Any], now: datetime
) -> str:
    return email_event_record(event_id=event_id, event=event, now=now)


APPLIERS = {
    "zendesk": zendesk_event_apply,
    "intercom": intercom_notification_apply,
    "sendgrid": sendgrid_event_apply,
}
