"""Provider records → our field values. Pure functions: no ORM, no I/O.

A record that lacks what we cannot do without (id, creation time) raises
``RecordInvalid``; the sync counts it as failed and keeps a sample, it never guesses.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from cs_platform.core.tickets import TicketPriority, TicketStatus

TICKET_STATUSES = frozenset(TicketStatus.values)
TICKET_PRIORITIES = frozenset(TicketPriority.values)
# Zendesk CSAT is binary; it lands on the ends of our 1–5 satisfaction scale.
ZENDESK_RATING = {"good": 5, "bad": 1}
# Intercom "closed" can be reopened, like Zendesk "solved" (Zendesk "closed" is final).
INTERCOM_STATES = {
    "open": TicketStatus.OPEN,
    "snoozed": TicketStatus.ON_HOLD,
    "closed": TicketStatus.SOLVED,
}
_TAGS = re.compile(r"<[^>]+>")


class RecordInvalid(ValueError):
    """The record lacks a field the sync needs; the message names it."""


def parse_time(value: Any, field: str, *, required: bool = True) -> datetime | None:
    """ISO 8601 (Zendesk) or epoch seconds (Intercom) → aware UTC datetime."""
    if value in (None, ""):
        if required:
            raise RecordInvalid(f"{field} is missing")
        return None
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise RecordInvalid(f"{field} is not a time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _external_id(record: dict[str, Any]) -> str:
    value = record.get("id")
    if value in (None, ""):
        raise RecordInvalid("id is missing")
    return str(value)


def zendesk_ticket_fields(ticket: dict[str, Any]) -> dict[str, Any]:
    status = ticket.get("status")
    if status not in TICKET_STATUSES:
        raise RecordInvalid(f"unsupported status {status!r}")
    priority = ticket.get("priority")
    rating = ticket.get("satisfaction_rating") or {}
    via = ticket.get("via") or {}
    return {
        "external_id": _external_id(ticket),
        "subject": str(ticket.get("subject") or ticket.get("raw_subject") or "")[:300],
        "description": str(ticket.get("description") or ""),
        "status": status,
        # Zendesk allows "no priority"; our field is required and "normal" is its default.
        "priority": priority if priority in TICKET_PRIORITIES else "normal",
        "channel": str(via.get("channel") or "zendesk")[:24],
        "assignee": str(ticket["assignee_id"]) if ticket.get("assignee_id") else "",
        "tags": [str(t) for t in ticket.get("tags") or []],
        "opened_at": parse_time(ticket.get("created_at"), "created_at"),
        "satisfaction": ZENDESK_RATING.get(rating.get("score")),
        "source_updated_at": parse_time(ticket.get("updated_at"), "updated_at"),
    }


def _plain(text: Any) -> str:
    return html.unescape(_TAGS.sub(" ", str(text or ""))).strip()


def intercom_conversation_fields(conversation: dict[str, Any]) -> dict[str, Any]:
    state = conversation.get("state")
    if state not in INTERCOM_STATES:
        raise RecordInvalid(f"unsupported state {state!r}")
    source = conversation.get("source") or {}
    stats = conversation.get("statistics") or {}
    rating = (conversation.get("conversation_rating") or {}).get("rating")
    tags = (conversation.get("tags") or {}).get("tags") or []
    subject = _plain(conversation.get("title") or source.get("subject")) or "(no subject)"
    closed = state == "closed"
    return {
        "external_id": _external_id(conversation),
        "subject": subject[:300],
        "description": _plain(source.get("body")),
        "status": INTERCOM_STATES[state],
        "priority": "high" if conversation.get("priority") == "priority" else "normal",
        "channel": "intercom",
        "assignee": str(conversation.get("admin_assignee_id") or ""),
        "tags": [str(t.get("name")) for t in tags if isinstance(t, dict) and t.get("name")],
        "opened_at": parse_time(conversation.get("created_at"), "created_at"),
        "first_response_at": parse_time(
            stats.get("first_admin_reply_at"), "first_admin_reply_at", required=False
        ),
        "resolved_at": parse_time(stats.get("last_close_at"), "last_close_at", required=False)
        if closed
        else None,
        "satisfaction": rating if isinstance(rating, int) and 1 <= rating <= 5 else None,
        "source_updated_at": parse_time(conversation.get("updated_at"), "updated_at"),
    }


def intercom_contact_fields(contact: dict[str, Any]) -> dict[str, Any]:
    email = str(contact.get("email") or "").strip().lower()
    if not email or "@" not in email:
        raise RecordInvalid("email is missing")
    name = str(contact.get("name") or "").strip()
    first, _, last = name.partition(" ")
    companies = ((contact.get("companies") or {}).get("data")) or []
    return {
        "intercom_contact_id": _external_id(contact),
        "email": email,
        "first_name": first[:100],
        "last_name": last[:100],
        "last_seen_at": parse_time(contact.get("last_seen_at"), "last_seen_at", required=False),
        "company_id": str(companies[0]["id"]) if companies and companies[0].get("id") else None,
        "updated_at": int(contact.get("updated_at") or 0),
    }
