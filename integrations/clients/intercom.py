"""Intercom: search of contacts and conversations with cursor pagination.

``base_url`` is the API root, e.g. ``https://api.intercom.io`` (or ``{url}/intercom``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from integrations.clients.base import ProviderClient
from integrations.errors import ProviderClientError, ProviderError

MAX_PER_PAGE = 150
API_VERSION = "2.11"
SEARCH_KINDS = {"contacts": "data", "conversations": "conversations"}


class IntercomClient(ProviderClient):
    provider = "intercom"

    def authenticate(self, session: requests.Session) -> None:
        session.headers["Authorization"] = f"Bearer {self.credentials['access_token']}"
        session.headers["Intercom-Version"] = API_VERSION
        session.headers["Accept"] = "application/json"

    def search_page(
        self,
        kind: str,
        *,
        updated_since: int | None,
        starting_after: str | None = None,
        per_page: int = MAX_PER_PAGE,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of ``kind`` (contacts or conversations) updated at or after
        ``updated_since`` (epoch seconds; None = everything), oldest change first.
        Returns the records and the ``starting_after`` of the next page (None at end).

        Searches change nothing, so the POST is retried like a GET."""
        records_key = SEARCH_KINDS[kind]
        body: dict[str, Any] = {
            "sort": {"field": "updated_at", "order": "ascending"},
            "pagination": {"per_page": min(per_page, MAX_PER_PAGE)},
        }
        if updated_since is not None:
            # Intercom has no ">=": "> since - 1" on whole seconds is the same filter.
            body["query"] = {"field": "updated_at", "operator": ">", "value": updated_since - 1}
        if starting_after:
            body["pagination"]["starting_after"] = starting_after
        response = self.request("POST", f"/{kind}/search", json=body, idempotent=True)
        try:
            page = response.json()
        except ValueError:
            raise ProviderError(self.provider, "search response is not JSON") from None
        records = page.get(records_key) if isinstance(page, dict) else None
        if not isinstance(records, list):
            raise ProviderError(self.provider, f"search response lacks '{records_key}'")
        following = (page.get("pages") or {}).get("next") or {}
        return records, following.get("starting_after")

    def contact_delete(self, contact_id: str) -> bool:
        """Delete a contact (an erased person's). True when Intercom deleted it now, False
        when it was already gone (404): either way it is gone, so the call is safe to
        repeat."""
        try:
            self.request("DELETE", f"/contacts/{quote(str(contact_id), safe='')}", idempotent=True)
        except ProviderClientError as exc:
            if exc.status == 404:
                return False
            raise
        return True
