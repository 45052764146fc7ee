"""SendGrid: v3 mail send (202 + ``X-Message-Id``), the Email Activity API and the signed
event webhook.

Like SendGrid, mail send has no idempotency: every accepted request is a message sent.
Messages accepted are kept and readable at ``GET /_sandbox/sendgrid/sent``; the Email
Activity API (``GET /v3/messages?query=...``) finds them by ``msg_id``, ``to_email`` or a
custom arg (``unique_args['name']="value"``), unless ``POST /_sandbox/sendgrid/activity
{"enabled": false}`` makes it answer 403 as for an account without the paid add-on.
``POST /_sandbox/sendgrid/emit`` posts events about them (delivered, open, bounce, ...)
to a receiver, signed with ECDSA P-256 exactly as SendGrid signs them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from typing import Any

import requests

from cs_platform.core import clock
from integrations.sandbox.config import SandboxCredentials
from integrations.sandbox.data import Dataset, iso
from integrations.sandbox.signing import (
    SENDGRID_SIGNATURE_HEADER,
    sendgrid_private_key,
    sendgrid_public_key_b64,
    sendgrid_signed_headers,
)
from integrations.sandbox.web import Request, Response, Route, json_response, route

_HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"
# The Email Activity query forms the sandbox understands (one clause).
_QUERY = re.compile(
    r"""^\s*(?:unique_args\['(?P<arg>[^']+)'\]|(?P<field>msg_id|to_email))\s*=\s*"(?P<value>[^"]*)"\s*$"""
)


def _errors(status: int, *errors: tuple[str, str | None]) -> Response:
    return json_response(
        status,
        {
            "errors": [
                {"message": message, "field": field, "help": f"{_HELP}#message.{field}"}
                for message, field in errors
            ]
        },
    )


def validate_mail(body: Any) -> list[tuple[str, str | None]]:
    """SendGrid's checks on a v3 mail/send body, as (message, field) pairs."""
    if not isinstance(body, dict):
        return [("Bad Request", None)]
    problems: list[tuple[str, str | None]] = []
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        problems.append(
            (
                "The personalizations field is required and must have at least one "
                "personalization.",
                "personalizations",
            )
        )
    else:
        for i, item in enumerate(personalizations):
            to = item.get("to") if isinstance(item, dict) else None
            if not isinstance(to, list) or not to:
                problems.append(
                    (
                        "The to array is required for all personalization objects, and must "
                        "have at least one email object with a valid email address.",
                        f"personalizations.{i}.to",
                    )
                )
            elif any(not isinstance(t, dict) or "@" not in str(t.get("email", "")) for t in to):
                problems.append(("Does not contain a valid address.", f"personalizations.{i}.to"))
    sender = body.get("from")
    if not isinstance(sender, dict) or "@" not in str(sender.get("email", "")):
        problems.append(
            (
                "The from object must be provided for every email send. It is an object that "
                "requires the email parameter, but may also contain a name parameter.",
                "from",
            )
        )
    if not body.get("template_id"):
        if not body.get("subject") and not any(
            isinstance(p, dict) and p.get("subject") for p in personalizations or []
        ):
            problems.append(("The subject is required.", "subject"))
        content = body.get("content")
        if (
            not isinstance(content, list)
            or not content
            or not all(isinstance(c, dict) and c.get("type") and c.get("value") for c in content)
        ):
            problems.append(
                (
                    "Unless a valid template_id is provided, the content parameter is required. "
                    "There must be at least one defined content block.",
                    "content",
                )
            )
    return problems


class SendGridProvider:
    name = "sendgrid"

    def __init__(self, dataset: Dataset, credentials: SandboxCredentials) -> None:
        self.dataset = dataset
        self.credentials = credentials
        self.private_key = sendgrid_private_key(dataset.seed)
        self.public_key = sendgrid_public_key_b64(self.private_key)
        self._lock = threading.Lock()
        self.sent: list[dict[str, Any]] = []
        self._events = 0
        self.activity_enabled = True

    def authenticate(self, request: Request) -> Response | None:
        if request.bearer() != self.credentials.sendgrid_api_key:
            return json_response(
                401,
                {
                    "errors": [
                        {
                            "field": None,
                            "message": "The provided authorization grant is "
                            "invalid, expired, or revoked",
                        }
                    ]
                },
            )
        return None

    def routes(self) -> list[Route]:
        return [
            route("POST", "/sendgrid/v3/mail/send", self.send),
            route("GET", "/sendgrid/v3/messages", self.activity),
        ]

    def control_routes(self) -> list[Route]:
        return [
            route("GET", "/_sandbox/sendgrid/sent", self.list_sent),
            route("DELETE", "/_sandbox/sendgrid/sent", self.clear_sent),
            route("GET", "/_sandbox/sendgrid/public_key", self.show_public_key),
            route("POST", "/_sandbox/sendgrid/activity", self.set_activity),
            route("POST", "/_sandbox/sendgrid/emit", self.emit),
        ]

    def _message_id(self, sequence: int) -> str:
        # SendGrid ids are 22 url-safe base64 characters.
        digest = hashlib.sha256(f"{self.dataset.seed}:sg:{sequence}".encode()).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def send(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return _errors(400, ("Invalid JSON", None))
        problems = validate_mail(body)
        if problems:
            return _errors(400, *problems)
        with self._lock:
            message_id = self._message_id(len(self.sent) + 1)
            self.sent.append(
                {
                    "message_id": message_id,
                    "received_at": int(clock.epoch()),
                    "to": [t["email"] for p in body["personalizations"] for t in p["to"]],
                    "from": body["from"],
                    "subject": body.get("subject"),
                    "body": body,
                }
            )
        return Response(202, b"", {"X-Message-Id": message_id})

    def activity(self, request: Request) -> Response:
        """Email Activity "filter all messages": what the account sent, newest first."""
        if not self.activity_enabled:
            return _errors(403, ("access forbidden", None))
        match = _QUERY.match(request.arg("query") or "")
        if match is None:
            return _errors(400, ("invalid query", "query"))
        try:
            limit = max(1, min(int(request.arg("limit") or 10), 1000))
        except ValueError:
            return _errors(400, ("limit must be an integer", "limit"))
        value = match["value"]
        with self._lock:
            found = [
                m
                for m in reversed(self.sent)
                if (
                    match["arg"] and (m["body"].get("custom_args") or {}).get(match["arg"]) == value
                )
                or (match["field"] == "msg_id" and m["message_id"] == value.split(".")[0])
                or (match["field"] == "to_email" and value in m["to"])
            ][:limit]
        return json_response(200, {"messages": [_activity_row(m) for m in found]})

    def set_activity(self, request: Request) -> Response:
        try:
            self.activity_enabled = bool(request.json().get("enabled", True))
        except (ValueError, AttributeError):
            return json_response(400, {"error": 'body must be {"enabled": true|false}'})
        return json_response(200, {"enabled": self.activity_enabled})

    def list_sent(self, request: Request) -> Response:
        with self._lock:
            return json_response(200, {"count": len(self.sent), "messages": list(self.sent)})

    def clear_sent(self, request: Request) -> Response:
        with self._lock:
            self.sent.clear()
        return json_response(200, {"cleared": True})

    def show_public_key(self, request: Request) -> Response:
        return json_response(200, {"public_key": self.public_key, "enabled": True})

    def _complete(self, event: dict[str, Any], now: int) -> dict[str, Any]:
        """Fill what the caller left out, from the sent message the event refers to."""
        message_id = str(event.get("sg_message_id") or event.get("message_id") or "")
        message_id = message_id.split(".")[0]
        with self._lock:
            message = next((m for m in self.sent if m["message_id"] == message_id), None)
            self._events += 1
            sequence = self._events
        full = {
            "email": event.get("email") or (message["to"][0] if message else None),
            "timestamp": int(event.get("timestamp", now)),
            "event": event.get("event", "delivered"),
            "sg_event_id": event.get("sg_event_id") or self._message_id(10**9 + sequence),
            # SendGrid appends a filter suffix to the X-Message-Id in events.
            "sg_message_id": f"{message_id}.filterdrecv-sandbox-{sequence}-0"
            if message_id
            else None,
            "smtp-id": f"<{message_id}@sandbox.sendgrid.net>" if message_id else None,
        }
        if full["event"] == "bounce":
            full["reason"] = event.get("reason", "550 5.1.1 The email account does not exist.")
            full["type"] = event.get("type", "bounce")
        return {**{k: v for k, v in event.items() if k != "message_id"}, **full}

    def emit(self, request: Request) -> Response:
        try:
            spec = request.json()
            target, events = spec["target_url"], spec["events"]
        except (ValueError, KeyError, TypeError):
            target, events = None, None
        if not target or not isinstance(events, list) or not events:
            return json_response(
                400, {"error": "body needs target_url and a non-empty events list"}
            )
        now = int(clock.epoch())
        payload = json.dumps([self._complete(e, now) for e in events]).encode()
        headers = sendgrid_signed_headers(self.private_key, payload, now)
        if spec.get("corrupt_signature"):
            headers[SENDGRID_SIGNATURE_HEADER] = base64.b64encode(b"not a signature").decode()
        try:
            sent = requests.post(target, data=payload, headers=headers, timeout=(3.05, 10))
        except requests.RequestException as exc:
            return json_response(502, {"error": f"delivery failed: {exc}"})
        return json_response(
            200,
            {
                "status_code": sent.status_code,
                "response": sent.text[:500],
                "events": json.loads(payload),
                "headers": headers,
            },
        )


def _activity_row(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "from_email": message["from"].get("email"),
        # The activity feed's id is the X-Message-Id plus a per-recipient suffix.
        "msg_id": f"{message['message_id']}.filterdrecv-sandbox-0-0",
        "subject": message["subject"],
        "to_email": message["to"][0] if message["to"] else None,
        "status": "processed",
        "opens_count": 0,
        "clicks_count": 0,
        "last_event_time": iso(message["received_at"]),
    }
