"""SendGrid event-webhook events → ``EmailEvent`` rows and ``EmailMessage`` status.

Events arrive out of order and more than once, so the status is a maximum over a
fixed ranking (pending = unconfirmed < sent < delivered < bounced < dropped/failed <
opened): any order of the same events gives the same status. An event about a message
whose send could not be confirmed (``unconfirmed``: the outbox could not tell whether
SendGrid accepted it) settles it, and gives it SendGrid's message id. Called by the
webhook inbox inside its transaction; the inbox has already made sure each event is
applied once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from integrations.models import EmailEvent, EmailMessage, EmailStatus

# SendGrid event name → the message status it proves. Events not listed (deferred,
# spamreport, group_resubscribe) are recorded without changing the status; unsubscribes
# on a newsletter edition's e-mail end that newsletter subscription.
EVENT_STATUS = {
    "processed": EmailStatus.SENT,
    "delivered": EmailStatus.DELIVERED,
    "open": EmailStatus.OPENED,
    "click": EmailStatus.OPENED,
    "bounce": EmailStatus.BOUNCED,
    "blocked": EmailStatus.BOUNCED,
    "dropped": EmailStatus.FAILED,
}
# The status is the highest-ranked one any event proved, so the result does not depend
# on the order events arrive in. An open outranks a bounce: the message demonstrably
# arrived (a bounce then is a late or spurious report).
UNSUBSCRIBE_EVENTS = ("unsubscribe", "group_unsubscribe")
_RANK = {
    EmailStatus.PENDING: 0,
    EmailStatus.UNCONFIRMED: 0,
    EmailStatus.SENT: 1,
    EmailStatus.DELIVERED: 2,
    EmailStatus.BOUNCED: 3,
    EmailStatus.FAILED: 4,
    EmailStatus.OPENED: 5,
}
_TERMINAL = frozenset({EmailStatus.BOUNCED, EmailStatus.FAILED})


def sendgrid_message_id(event: dict[str, Any]) -> str:
    """The ``X-Message-Id`` we stored: SendGrid appends ``.filterdrecv-…`` in events."""
    return str(event.get("sg_message_id") or "").split(".", 1)[0].strip()


def email_status_after(current: str, new: str) -> str:
    """The status once an event proving ``new`` arrives (pure, order-independent)."""
    return new if _RANK[new] > _RANK.get(current, 0) else current


def _occurred_at(event: dict[str, Any], now: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(event["timestamp"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return now


def _message_for(event: dict[str, Any]) -> EmailMessage | None:
    message_id = sendgrid_message_id(event)
    qs = EmailMessage.objects.select_for_update()
    if message_id:
        message = qs.filter(provider_message_id=message_id).first()
        if message is not None:
            return message
    # Our custom_args come back as top-level event fields; the address must match too.
    local_id = str(event.get("email_message_id") or "")
    if local_id.isdigit() and event.get("email"):
        return qs.filter(pk=int(local_id), to_email__iexact=str(event["email"])).first()
    return None


def email_event_record(*, event_id: str, event: dict[str, Any], now: datetime) -> str:
    """Store one SendGrid event and apply it; returns "applied", "unchanged" or
    "unmatched" (no stored message has this id: kept, with ``message`` empty)."""
    message = _message_for(event)
    name = str(event.get("event") or "")[:24]
    EmailEvent.objects.get_or_create(
        provider_event_id=event_id[:120],
        defaults={
            "message": message,
            "event": name,
            "email": str(event.get("email") or "")[:254],
            "occurred_at": _occurred_at(event, now),
            "payload": event,
        },
    )
    if message is None:
        return "unmatched"
    if name in UNSUBSCRIBE_EVENTS:
        # Imported here: newsletters sends through email, which reads this module.
        from integrations.services.newsletters import newsletter_unsubscribe_from_event

        newsletter_unsubscribe_from_event(message, name, now)
        return "applied"
    proved = EVENT_STATUS.get(name)
    if proved is None:
        return "unchanged"
    status = email_status_after(message.status, proved)
    fields = []
    if not message.provider_message_id and sendgrid_message_id(event):
        # Matched by our custom arg: SendGrid accepted a send we could not confirm.
        message.provider_message_id = sendgrid_message_id(event)[:120]
        fields.append("provider_message_id")
    if status != message.status:
        message.status = status
        fields.append("status")
    if status in _TERMINAL and status == proved:
        reason = str(event.get("reason") or event.get("response") or name)
        message.error = f"sendgrid {name}: {reason}"[:2000]
        fields.append("error")
    if not fields:
        return "unchanged"
    message.save(update_fields=[*fields, "updated_at"])
    return "applied"
