"""A verified webhook body → inbox items (one per provider event). Pure: no ORM.

The inbox key is the provider's own event id (SendGrid ``sg_event_id``, Intercom
notification ``id``, Zendesk event ``id``). An event without one gets a content hash,
so a re-delivery of the same bytes still lands on the same key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

MAX_EVENT_ID = 200
MAX_EVENT_TYPE = 80
MAX_EVENTS_PER_DELIVERY = 5000


class PayloadInvalid(Exception):
    """The (authentic) body is not what this provider sends."""


@dataclass(frozen=True)
class InboxItem:
    event_id: str
    event_type: str
    payload: dict[str, Any]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise PayloadInvalid("body is not JSON") from None


def _content_id(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _item(event_id: Any, event_type: Any, payload: dict[str, Any]) -> InboxItem:
    key = str(event_id).strip() if event_id not in (None, "") else _content_id(payload)
    if len(key) > MAX_EVENT_ID:
        key = _content_id({"id": key})
    return InboxItem(key, str(event_type or "")[:MAX_EVENT_TYPE], payload)


def sendgrid_items(body: bytes) -> list[InboxItem]:
    """SendGrid posts a JSON array of events; each carries ``sg_event_id``."""
    events = _json(body)
    if not isinstance(events, list) or not events:
        raise PayloadInvalid("expected a non-empty JSON array of events")
    if len(events) > MAX_EVENTS_PER_DELIVERY:
        raise PayloadInvalid(f"more than {MAX_EVENTS_PER_DELIVERY} events in one delivery")
    if not all(isinstance(e, dict) for e in events):
        raise PayloadInvalid("every event must be a JSON object")
    return [_item(e.get("sg_event_id"), e.get("event"), e) for e in events]


def intercom_items(body: bytes) -> list[InboxItem]:
    """Intercom posts one ``notification_event`` per delivery."""
    notification = _json(body)
    if not isinstance(notification, dict) or notification.get("type") != "notification_event":
        raise PayloadInvalid("expected a notification_event object")
    return [_item(notification.get("id"), notification.get("topic"), notification)]


def zendesk_items(body: bytes) -> list[InboxItem]:
    """Zendesk event webhooks post one event (``type`` ``zen:event-type:ticket.*``)."""
    event = _json(body)
    if not isinstance(event, dict):
        raise PayloadInvalid("expected a JSON object")
    return [_item(event.get("id"), event.get("type"), event)]


PARSERS = {"sendgrid": sendgrid_items, "intercom": intercom_items, "zendesk": zendesk_items}
