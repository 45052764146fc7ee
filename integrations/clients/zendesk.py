"""Zendesk Support: incremental exports (tickets by cursor, organizations by time) and
ticket create/update for mirroring local tickets.

``base_url`` is the account's API root without ``/api/v2``, e.g.
``https://acme.zendesk.com`` (or the sandbox's ``{url}/zendesk``).
"""

from __future__ import annotations

from typing import Any

import requests

from integrations.clients.base import ProviderClient
from integrations.errors import ProviderError

MAX_PER_PAGE = 1000


class ZendeskClient(ProviderClient):
    provider = "zendesk"

    def authenticate(self, session: requests.Session) -> None:
        session.auth = (f"{self.credentials['email']}/token", self.credentials["api_token"])

    def _json(self, response: requests.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise ProviderError(self.provider, "response is not JSON") from None
        if not isinstance(data, dict):
            raise ProviderError(self.provider, "response is not a JSON object")
        return data

    # --- incremental exports ------------------------------------------------------

    def ticket_export_page(
        self,
        *,
        cursor: str | None = None,
        start_time: int = 0,
        per_page: int = MAX_PER_PAGE,
        include_users: bool = True,
    ) -> dict[str, Any]:
        """One page of the incremental cursor export: ``tickets``, ``after_cursor``,
        ``end_of_stream`` and, with ``include_users``, the requesters as ``users``.

        The first call passes ``start_time``; every later one the previous
        ``after_cursor`` (still valid at the end of the stream, for the next poll)."""
        params: dict[str, Any] = {"per_page": min(per_page, MAX_PER_PAGE)}
        if cursor:
            params["cursor"] = cursor
        else:
            params["start_time"] = start_time
        if include_users:
            params["include"] = "users"
        response = self.request("GET", "/api/v2/incremental/tickets/cursor.json", params=params)
        page = self._json(response)
        if not isinstance(page.get("tickets"), list) or "end_of_stream" not in page:
            raise ProviderError(self.provider, "ticket export page lacks tickets/end_of_stream")
        return page

    def organization_export_page(
        self, *, start_time: int, per_page: int = MAX_PER_PAGE
    ) -> dict[str, Any]:
        """One page of the time-based organization export: ``organizations``,
        ``end_time`` (the next ``start_time``) and ``end_of_stream``."""
        response = self.request(
            "GET",
            "/api/v2/incremental/organizations.json",
            params={"start_time": start_time, "per_page": min(per_page, MAX_PER_PAGE)},
        )
        page = self._json(response)
        if not isinstance(page.get("organizations"), list) or "end_time" not in page:
            raise ProviderError(self.provider, "organization export page lacks end_time")
        return page

    # --- tickets (mirroring) --------------------------------------------------------

    def ticket_create(
        self, ticket: dict[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Create a ticket (``{"subject", "comment": {"body"}, "requester": {...}, ...}``)
        and return it as Zendesk stored it.

        With ``idempotency_key`` (Zendesk's ``Idempotency-Key`` header) a repeat within
        Zendesk's key window returns the ticket the first request created instead of
        creating another, so timeouts and 5xx are retried; without it a create that may
        have reached Zendesk is never repeated. Reusing a key with a different body is
        refused by Zendesk (HTTP 400 ``IdempotentRequestError``)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        response = self.request(
            "POST",
            "/api/v2/tickets.json",
            json={"ticket": ticket},
            headers=headers,
            idempotent=bool(idempotency_key),
        )
        return self._json(response)["ticket"]

    def ticket_find_by_external_id(self, external_id: str) -> dict[str, Any] | None:
        """The ticket whose ``external_id`` is ``external_id`` (ours), or None."""
        response = self.request("GET", "/api/v2/tickets.json", params={"external_id": external_id})
        tickets = self._json(response).get("tickets")
        if not isinstance(tickets, list):
            raise ProviderError(self.provider, "ticket list lacks tickets")
        return tickets[0] if tickets else None

    def ticket_update(
        self, ticket_id: int | str, changes: dict[str, Any], *, idempotent: bool = True
    ) -> dict[str, Any]:
        """Update a ticket (status, priority, tags, a new ``comment``...); returns it.

        An update carrying a comment is not idempotent (a repeat adds the comment twice):
        pass ``idempotent=False`` so a request that may have been processed is not
        repeated."""
        response = self.request(
            "PUT",
            f"/api/v2/tickets/{int(ticket_id)}.json",
            json={"ticket": changes},
            idempotent=idempotent,
        )
        return self._json(response)["ticket"]

    def ticket_comments(self, ticket_id: int | str) -> list[dict[str, Any]]:
        response = self.request("GET", f"/api/v2/tickets/{int(ticket_id)}/comments.json")
        comments = self._json(response).get("comments")
        if not isinstance(comments, list):
            raise ProviderError(self.provider, "comment list lacks comments")
        return comments

    def ticket_show(self, ticket_id: int | str) -> dict[str, Any]:
        response = self.request("GET", f"/api/v2/tickets/{int(ticket_id)}.json")
        return self._json(response)["ticket"]
