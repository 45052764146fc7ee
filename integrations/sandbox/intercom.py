"""Intercom: search of contacts and conversations with cursor pagination, plus signed
webhook notifications.

Search honours ``query`` (see ``conversations.matches``) and ``sort`` (default:
updated_at ascending, so an incremental sync can keep a high-water mark).
``starting_after`` is a position (sort value, id), not an offset, so records that change
between pages are neither skipped nor repeated.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
from typing import Any

import requests

from cs_platform.core import clock
from integrations.sandbox.config import SandboxCredentials
from integrations.sandbox.conversations import (
    conversation_record,
    field_value,
    generate_contacts,
    generate_conversations,
    matches,
)
from integrations.sandbox.data import FEATURES, Dataset, hex_id
from integrations.sandbox.signing import intercom_signed_headers
from integrations.sandbox.web import Request, Response, Route, json_response, route

MAX_PER_PAGE = 150
DEFAULT_PER_PAGE = 50
_NEXT_STATE = {"open": "closed", "closed": "open", "snoozed": "open"}


def _errors(status: int, code: str, message: str) -> Response:
    return json_response(
        status,
        {
            "type": "error.list",
            "request_id": "sandbox",
            "errors": [{"code": code, "message": message}],
        },
    )


def _encode(value: Any, record_id: str, page: int) -> str:
    return base64.b64encode(json.dumps([value, record_id, page]).encode()).decode()


def _decode(cursor: str) -> tuple[Any, str, int]:
    try:
        value, record_id, page = json.loads(base64.b64decode(cursor.encode()))
        return value, str(record_id), int(page)
    except (binascii.Error, ValueError, TypeError):
        raise ValueError("invalid starting_after cursor") from None


def build_notification(
    conversation: dict[str, Any], topic: str, notification_id: str, now: int | None = None
) -> dict[str, Any]:
    """A webhook notification as Intercom sends it, wrapping ``conversation``."""
    stamp = int(clock.epoch()) if now is None else now
    return {
        "type": "notification_event",
        "app_id": "sandbox",
        "id": notification_id,
        "topic": topic,
        "delivery_status": "pending",
        "delivery_attempts": 1,
        "delivered_at": 0,
        "first_sent_at": stamp,
        "created_at": stamp,
        "self": None,
        "data": {"type": "notification_event_data", "item": conversation},
    }


def signed_notification(
    conversation: dict[str, Any],
    client_secret: str,
    *,
    topic: str = "conversation.user.replied",
    notification_id: str = "notif_sandbox",
) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers (with ``X-Hub-Signature``) of a webhook delivery."""
    body = json.dumps(build_notification(conversation, topic, notification_id)).encode()
    return body, intercom_signed_headers(body, client_secret)


class IntercomProvider:
    name = "intercom"

    def __init__(self, dataset: Dataset, credentials: SandboxCredentials) -> None:
        self.dataset = dataset
        self.credentials = credentials
        self._lock = threading.Lock()
        contacts = generate_contacts(dataset)
        self.contacts = {c["id"]: c for c in contacts}
        self.conversations = {c["id"]: c for c in generate_conversations(dataset, contacts)}
        self._touches = 0
        self._notifications = 0
        self.deleted: list[str] = []

    def authenticate(self, request: Request) -> Response | None:
        if request.bearer() != self.credentials.intercom_access_token:
            return _errors(401, "unauthorized", "Access Token Invalid")
        return None

    def routes(self) -> list[Route]:
        return [
            route("POST", "/intercom/contacts/search", self.search_contacts),
            route("DELETE", "/intercom/contacts/(?P<id>[^/]+)", self.delete_contact),
            route("POST", "/intercom/conversations/search", self.search_conversations),
            route("GET", "/intercom/conversations/(?P<id>[^/]+)", self.show_conversation),
        ]

    def control_routes(self) -> list[Route]:
        return [
            route("POST", "/_sandbox/intercom/touch", self.touch),
            route("POST", "/_sandbox/intercom/add", self.add),
            route("POST", "/_sandbox/intercom/webhook", self.send_webhook),
            route("GET", "/_sandbox/intercom/deleted", self.list_deleted),
        ]

    # --- search -------------------------------------------------------------------

    def search_contacts(self, request: Request) -> Response:
        return self._search(request, self.contacts, "list", "data")

    def delete_contact(self, request: Request) -> Response:
        """Intercom's "Delete a contact": the contact is gone; an unknown id is a 404."""
        contact_id = request.params["id"]
        with self._lock:
            if self.contacts.pop(contact_id, None) is None:
                return _errors(404, "not_found", "User Not Found")
            self.deleted.append(contact_id)
        return json_response(200, {"id": contact_id, "object": "contact", "deleted": True})

    def list_deleted(self, request: Request) -> Response:
        with self._lock:
            return json_response(200, {"deleted": list(self.deleted)})

    def search_conversations(self, request: Request) -> Response:
        # Intercom answers conversation searches as a "conversation.list" whose records
        # are under "conversations" (contacts use "list"/"data").
        return self._search(request, self.conversations, "conversation.list", "conversations")

    def _search(
        self, request: Request, store: dict[str, dict[str, Any]], list_type: str, key: str
    ) -> Response:
        try:
            body = request.json()
            query = body.get("query") or {}
            pagination = body.get("pagination") or {}
            sort = body.get("sort") or {}
            field = sort.get("field", "updated_at")
            descending = sort.get("order", "ascending") == "descending"
            per_page = max(1, min(int(pagination.get("per_page", DEFAULT_PER_PAGE)), MAX_PER_PAGE))
            cursor = pagination.get("starting_after")
            position = _decode(cursor) if cursor else None
            with self._lock:
                rows = [dict(r) for r in store.values() if not query or matches(r, query)]
        except (ValueError, AttributeError, TypeError) as exc:
            return _errors(400, "parameter_invalid", str(exc))

        def key_of(row: dict[str, Any]) -> tuple[Any, str]:
            return (field_value(row, field) or 0, row["id"])

        rows.sort(key=key_of, reverse=descending)
        page = 1
        if position is not None:
            value, record_id, page = position
            after = (value, record_id)
            rows_left = [
                r for r in rows if (key_of(r) < after if descending else key_of(r) > after)
            ]
        else:
            rows_left = rows
        chunk = rows_left[:per_page]
        pages: dict[str, Any] = {
            "type": "pages",
            "page": page,
            "per_page": per_page,
            "total_pages": max(1, math.ceil(len(rows) / per_page)),
        }
        if len(rows_left) > per_page:
            last = chunk[-1]
            pages["next"] = {"page": page + 1, "starting_after": _encode(*key_of(last), page + 1)}
        return json_response(
            200, {"type": list_type, key: chunk, "total_count": len(rows), "pages": pages}
        )

    def show_conversation(self, request: Request) -> Response:
        conversation = self.conversations.get(request.params["id"])
        if conversation is None:
            return _errors(404, "not_found", "Resource Not Found")
        return json_response(200, conversation)

    # --- control ------------------------------------------------------------------

    def _next_stamp(self) -> int:
        newest = max(
            (
                r["updated_at"]
                for store in (self.contacts, self.conversations)
                for r in store.values()
            ),
            default=0,
        )
        return max(int(clock.epoch()), newest + 1)

    def touch(self, request: Request) -> Response:
        body = _body(request)
        kind = body.get("kind", "conversations")
        store = self.contacts if kind == "contacts" else self.conversations
        with self._lock:
            stamp = self._next_stamp()
            ids = sorted(store)
            touched = []
            for i in range(min(int(body.get("count", 1)), len(ids))):
                record = dict(store[ids[(self._touches + i) % len(ids)]])
                record["updated_at"] = stamp
                if kind == "contacts":
                    record["last_seen_at"] = stamp
                else:
                    record["state"] = _NEXT_STATE.get(record["state"], "open")
                    record["open"] = record["state"] != "closed"
                store[record["id"]] = record
                touched.append(record["id"])
            self._touches += len(touched)
        return json_response(200, {"kind": kind, "touched": touched, "updated_at": stamp})

    def add(self, request: Request) -> Response:
        added = []
        with self._lock:
            users = sorted(c for c, v in self.contacts.items() if v["role"] == "user")
            for _ in range(int(_body(request).get("count", 1))):
                new_id = str(max(int(c) for c in self.conversations) + 1)
                contact = self.contacts[users[int(new_id) % len(users)]]
                stamp = self._next_stamp()
                subject = f"New question about {FEATURES[int(new_id) % len(FEATURES)]}"
                self.conversations[new_id] = conversation_record(
                    new_id, contact, stamp, stamp, "open", "not_priority", subject, None
                )
                added.append(new_id)
        return json_response(200, {"added": added})

    def send_webhook(self, request: Request) -> Response:
        """POST one signed notification to ``target_url`` (the receiver under test)."""
        body = _body(request)
        target = body.get("target_url")
        if not target:
            return json_response(400, {"error": "target_url is required"})
        conversation_id = str(body.get("conversation_id") or min(self.conversations, key=int))
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            return json_response(404, {"error": f"no conversation {conversation_id}"})
        with self._lock:
            self._notifications += 1
            notification_id = f"notif_{hex_id(self.dataset.seed, 'notif', self._notifications)}"
        payload, headers = signed_notification(
            conversation,
            body.get("client_secret") or self.credentials.intercom_client_secret,
            topic=body.get("topic", "conversation.user.replied"),
            notification_id=notification_id,
        )
        if body.get("corrupt_signature"):
            headers["X-Hub-Signature"] = "sha1=" + "0" * 40
        try:
            sent = requests.post(target, data=payload, headers=headers, timeout=(3.05, 10))
        except requests.RequestException as exc:
            return json_response(502, {"error": f"delivery failed: {exc}"})
        return json_response(
            200,
            {
                "notification_id": notification_id,
                "status_code": sent.status_code,
                "response": sent.text[:500],
                "signature": headers["X-Hub-Signature"],
            },
        )


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json() if request.body else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
