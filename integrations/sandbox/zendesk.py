"""Zendesk Support: incremental cursor export of tickets, time-based incremental export of
organizations, ticket create/update/show, and control endpoints that change tickets so an
incremental sync has something new to fetch.

Ticket creation honours an ``Idempotency-Key`` header as Zendesk does: within two hours a
repeat with the same key and body answers the first response (``x-idempotency-lookup:
hit``) and creates nothing; the same key with another body is refused (400
``IdempotentRequestError``). ``GET tickets.json?external_id=`` finds tickets by our id.

Cursors look like Zendesk's (base64 of ``"<epoch>.0||<id>|"``) and order tickets by
(updated_at, id); at the end of the stream ``after_cursor`` still points at the last
ticket, so the next poll with it returns only what changed since.
"""

from __future__ import annotations

import bisect
import json
import threading
from typing import Any

from cs_platform.core import clock
from integrations.sandbox.config import SandboxCredentials
from integrations.sandbox.data import FEATURES, Dataset, iso, rng
from integrations.sandbox.tickets import (
    PRIORITIES,
    WRITABLE_STATUSES,
    decode_cursor,
    encode_cursor,
    find_or_create_user,
    generate_organizations,
    generate_tickets,
    generate_users,
    new_ticket,
)
from integrations.sandbox.web import Request, Response, Route, json_response, route

MAX_PER_PAGE = 1000
LIST_PER_PAGE = 100
# Zendesk keeps an idempotency key (and the response it answered) for two hours.
IDEMPOTENCY_WINDOW_SECONDS = 2 * 3600
_TOUCH_CYCLE = {"new": "open", "open": "pending", "pending": "solved", "hold": "open"}


def _error(status: int, error: str, description: str, **extra: Any) -> Response:
    return json_response(status, {"error": error, "description": description, **extra})


def _invalid(field: str, message: str) -> Response:
    return _error(
        422,
        "RecordInvalid",
        "Record validation errors",
        details={field: [{"description": message, "error": "InvalidValue"}]},
    )


def _per_page(request: Request) -> int:
    value = int(request.arg("per_page") or MAX_PER_PAGE)
    return max(1, min(value, MAX_PER_PAGE))


class ZendeskProvider:
    name = "zendesk"

    def __init__(self, dataset: Dataset, credentials: SandboxCredentials) -> None:
        self.dataset = dataset
        self.credentials = credentials
        self._lock = threading.Lock()
        self.organizations = generate_organizations(dataset)
        self.users = {u["id"]: u for u in generate_users(dataset)}
        self.tickets: dict[int, dict[str, Any]] = {t["id"]: t for t in generate_tickets(dataset)}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self._keys: list[tuple[int, int]] | None = None  # sorted (updated epoch, id)
        # Idempotency-Key -> (epoch stored, canonical request body, the 201 answer's ticket)
        self._idempotency: dict[str, tuple[float, str, dict[str, Any]]] = {}
        self._touches = 0

    # --- plumbing -----------------------------------------------------------------

    def authenticate(self, request: Request) -> Response | None:
        creds = request.basic_auth()
        expected = (f"{self.credentials.zendesk_email}/token", self.credentials.zendesk_api_token)
        if creds != expected:
            return json_response(401, {"error": "Couldn't authenticate you"})
        return None

    def routes(self) -> list[Route]:
        base = "/zendesk/api/v2"
        return [
            route("GET", f"{base}/incremental/tickets/cursor\\.json", self.ticket_export),
            route("GET", f"{base}/incremental/organizations\\.json", self.organization_export),
            route("POST", f"{base}/tickets\\.json", self.create_ticket),
            route("GET", f"{base}/tickets\\.json", self.list_tickets),
            route("GET", f"{base}/tickets/(?P<id>\\d+)\\.json", self.show_ticket),
            route("PUT", f"{base}/tickets/(?P<id>\\d+)\\.json", self.update_ticket),
            route("GET", f"{base}/tickets/(?P<id>\\d+)/comments\\.json", self.ticket_comments),
        ]

    def control_routes(self) -> list[Route]:
        return [
            route("POST", "/_sandbox/zendesk/touch", self.touch),
            route("POST", "/_sandbox/zendesk/add", self.add),
            route("GET", "/_sandbox/zendesk/tickets", self.list_all),
        ]

    def _sorted_keys(self) -> list[tuple[int, int]]:
        if self._keys is None:
            self._keys = sorted((t["generated_timestamp"], t["id"]) for t in self.tickets.values())
        return self._keys

    def _next_stamp(self) -> int:
        """Strictly later than every ticket, so a change is always 'new' to a cursor."""
        newest = max((t["generated_timestamp"] for t in self.tickets.values()), default=0)
        return max(int(clock.epoch()), newest + 1)

    def _save(self, ticket: dict[str, Any], stamp: int) -> None:
        ticket["generated_timestamp"] = stamp
        ticket["updated_at"] = iso(stamp)
        self.tickets[ticket["id"]] = ticket
        self._keys = None

    # --- exports ------------------------------------------------------------------

    def ticket_export(self, request: Request) -> Response:
        try:
            if request.arg("cursor"):
                position = decode_cursor(request.arg("cursor") or "")
            elif request.arg("start_time") is not None:
                position = (int(request.arg("start_time") or ""), -1)
            else:
                return _error(400, "InvalidPaginationParameter", "start_time or cursor required")
            per_page = _per_page(request)
        except ValueError as exc:
            return _error(400, "InvalidValue", str(exc))
        with self._lock:
            keys = self._sorted_keys()
            start = bisect.bisect_right(keys, position)
            page_keys = keys[start : start + per_page]
            tickets = [dict(self.tickets[tid]) for _, tid in page_keys]
            end_of_stream = start + per_page >= len(keys)
        after = encode_cursor(*page_keys[-1]) if page_keys else encode_cursor(*position)
        payload: dict[str, Any] = {
            "tickets": tickets,
            "after_cursor": after,
            "after_url": request.url(request.path, cursor=after, per_page=request.arg("per_page")),
            "before_cursor": encode_cursor(*page_keys[0]) if page_keys else None,
            "before_url": None,
            "end_of_stream": end_of_stream,
        }
        if "users" in (request.arg("include") or "").split(","):
            ids = {t["requester_id"] for t in tickets}
            payload["users"] = [self.users[i] for i in sorted(ids) if i in self.users]
        return json_response(200, payload)

    def organization_export(self, request: Request) -> Response:
        try:
            start_time = int(request.arg("start_time") or "")
            per_page = _per_page(request)
        except ValueError:
            return _error(400, "InvalidValue", "start_time must be a Unix epoch in seconds")
        rows = [o for o in self.organizations if o["_updated"] >= start_time][:per_page]
        end_time = rows[-1]["_updated"] if rows else start_time
        return json_response(
            200,
            {
                "organizations": [{k: v for k, v in o.items() if k != "_updated"} for o in rows],
                "count": len(rows),
                "end_time": end_time,
                "next_page": request.url(
                    request.path, start_time=end_time, per_page=request.arg("per_page")
                ),
                "end_of_stream": len(rows) < per_page,
            },
        )

    # --- tickets ------------------------------------------------------------------

    def show_ticket(self, request: Request) -> Response:
        ticket = self.tickets.get(int(request.params["id"]))
        if ticket is None:
            return _error(404, "RecordNotFound", "Not found")
        return json_response(200, {"ticket": ticket})

    def ticket_comments(self, request: Request) -> Response:
        ticket_id = int(request.params["id"])
        if ticket_id not in self.tickets:
            return _error(404, "RecordNotFound", "Not found")
        return json_response(200, {"comments": self.comments.get(ticket_id, [])})

    def _ticket_body(self, request: Request) -> dict[str, Any] | Response:
        try:
            body = request.json()
        except ValueError:
            return _error(400, "InvalidJSON", "The request body is not valid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("ticket"), dict):
            return _error(400, "InvalidParameter", "Expected a 'ticket' object")
        ticket = body["ticket"]
        if "priority" in ticket and ticket["priority"] not in PRIORITIES:
            return _invalid("priority", f"Priority: {ticket['priority']} is not valid")
        if "status" in ticket and ticket["status"] not in WRITABLE_STATUSES:
            return _invalid("status", f"Status: {ticket['status']} is not valid")
        return ticket

    def _add_comment(self, ticket: dict[str, Any], comment: Any, stamp: int) -> None:
        if isinstance(comment, dict) and comment.get("body"):
            self.comments.setdefault(ticket["id"], []).append(
                {
                    "id": ticket["id"] * 1000 + len(self.comments.get(ticket["id"], [])) + 1,
                    "body": str(comment["body"]),
                    "public": bool(comment.get("public", True)),
                    "author_id": comment.get("author_id", ticket["requester_id"]),
                    "created_at": iso(stamp),
                }
            )

    def list_tickets(self, request: Request) -> Response:
        external_id = request.arg("external_id")
        with self._lock:
            tickets = [
                dict(self.tickets[t])
                for t in sorted(self.tickets)
                if external_id is None or self.tickets[t].get("external_id") == external_id
            ][:LIST_PER_PAGE]
        return json_response(200, {"tickets": tickets, "count": len(tickets), "next_page": None})

    def create_ticket(self, request: Request) -> Response:
        fields = self._ticket_body(request)
        if isinstance(fields, Response):
            return fields
        comment = fields.get("comment") or {}
        description = fields.get("description") or (
            comment.get("body") if isinstance(comment, dict) else None
        )
        if not description:
            return _invalid("description", "Description: cannot be blank")
        key = request.headers.get("idempotency-key")
        canonical = json.dumps(fields, sort_keys=True)
        with self._lock:
            if key:
                replay = self._idempotent_replay(key, canonical, request)
                if replay is not None:
                    return replay
            requester = fields.get("requester")
            if fields.get("requester_id") is None and isinstance(requester, dict):
                user = find_or_create_user(self.users, self.organizations, requester)
                fields = {**fields, "requester_id": user["id"]}
                fields.setdefault("organization_id", user["organization_id"])
            stamp = self._next_stamp()
            ticket = new_ticket(
                self.dataset, max(self.tickets, default=0) + 1, fields, str(description), stamp
            )
            self._save(ticket, stamp)
            self._add_comment(ticket, {"body": description, **(comment or {})}, stamp)
            if key:
                self._idempotency[key] = (clock.epoch(), canonical, dict(ticket))
        location = request.url(f"/zendesk/api/v2/tickets/{ticket['id']}.json")
        headers = {"Location": location}
        if key:
            headers["x-idempotency-lookup"] = "miss"
        return json_response(201, {"ticket": ticket}, headers)

    def _idempotent_replay(self, key: str, canonical: str, request: Request) -> Response | None:
        """The answer to a repeated key (under the lock), or None for a new key."""
        seen = self._idempotency.get(key)
        if seen is None or seen[0] < clock.epoch() - IDEMPOTENCY_WINDOW_SECONDS:
            return None
        if seen[1] != canonical:
            return _error(
                400, "IdempotentRequestError", "Request parameters don't match cached request"
            )
        ticket = seen[2]
        location = request.url(f"/zendesk/api/v2/tickets/{ticket['id']}.json")
        return json_response(
            201, {"ticket": ticket}, {"Location": location, "x-idempotency-lookup": "hit"}
        )

    def update_ticket(self, request: Request) -> Response:
        fields = self._ticket_body(request)
        if isinstance(fields, Response):
            return fields
        with self._lock:
            current = self.tickets.get(int(request.params["id"]))
            if current is None:
                return _error(404, "RecordNotFound", "Not found")
            if current["status"] == "closed":
                return _invalid("status", "Status: closed prevents ticket update")
            ticket = dict(current)
            for key in (
                "subject",
                "priority",
                "status",
                "type",
                "tags",
                "assignee_id",
                "external_id",
                "custom_fields",
            ):
                if key in fields:
                    ticket[key] = fields[key]
            stamp = self._next_stamp()
            self._save(ticket, stamp)
            self._add_comment(ticket, fields.get("comment"), stamp)
        return json_response(200, {"ticket": ticket})

    # --- control ------------------------------------------------------------------

    def touch(self, request: Request) -> Response:
        count = _count(request)
        with self._lock:
            candidates = sorted(t for t, v in self.tickets.items() if v["status"] != "closed")
            stamp = self._next_stamp()
            touched = []
            for i in range(min(count, len(candidates))):
                ticket = dict(self.tickets[candidates[(self._touches + i) % len(candidates)]])
                ticket["status"] = _TOUCH_CYCLE.get(ticket["status"], "open")
                self._save(ticket, stamp)
                touched.append(ticket["id"])
            self._touches += len(touched)
        return json_response(200, {"touched": touched, "updated_at": iso(stamp)})

    def add(self, request: Request) -> Response:
        count = _count(request)
        added = []
        with self._lock:
            for _ in range(count):
                ticket_id = max(self.tickets, default=0) + 1
                number = (ticket_id % self.dataset.config.accounts) + 1
                r = rng(self.dataset.seed, "zd-add", ticket_id)
                feature = r.choice(FEATURES)
                stamp = self._next_stamp()
                fields = {
                    "subject": f"New question about {feature}",
                    "requester_id": self.dataset.zendesk_user_id(number, 0),
                    "priority": r.choice(PRIORITIES),
                    "tags": [feature],
                }
                desc = f"Added at run time: how do we use {feature}?"
                self._save(new_ticket(self.dataset, ticket_id, fields, desc, stamp), stamp)
                added.append(ticket_id)
        return json_response(200, {"added": added})

    def list_all(self, request: Request) -> Response:
        with self._lock:
            tickets = [self.tickets[t] for t in sorted(self.tickets)]
        return json_response(200, {"count": len(tickets), "tickets": tickets})


def _count(request: Request) -> int:
    try:
        body = request.json() if request.body else {}
        return max(0, int(body.get("count", 1)))
    except (ValueError, TypeError, AttributeError):
        return 1
