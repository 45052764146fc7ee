"""Mixpanel raw event export (JSON lines), streamed: an export of a million events is
parsed line by line as it arrives and never held in memory as a whole.

``base_url`` is the data-export root, e.g. ``https://data.mixpanel.com`` (or
``{url}/mixpanel``); the service account's username/secret authenticate and
``project_id`` names the project.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import requests

from integrations.clients.base import ProviderClient
from integrations.errors import ProviderConnectionError, ProviderError

_CHUNK_BYTES = 256 * 1024


class MixpanelClient(ProviderClient):
    provider = "mixpanel"

    def authenticate(self, session: requests.Session) -> None:
        session.auth = (self.credentials["username"], self.credentials["secret"])

    def export_events(
        self, from_date: date, to_date: date, *, events: list[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every event of ``from_date..to_date`` (inclusive, project days), in export
        order. Lines that are not JSON objects raise ``ProviderError`` (a truncated
        export must not look like a short day)."""
        params: dict[str, Any] = {
            "from_date": from_date.isoformat(),
            "to_date": to_date.isoformat(),
            "project_id": self.credentials["project_id"],
        }
        if events:
            params["event"] = json.dumps(events)
        response = self.request("GET", "/api/2.0/export", params=params, stream=True)
        loads = json.loads
        try:
            for line in response.iter_lines(chunk_size=_CHUNK_BYTES):
                if not line:
                    continue
                try:
                    event = loads(line)
                except ValueError:
                    raise ProviderError(
                        self.provider, "export line is not JSON", body_excerpt=line[:200].decode()
                    ) from None
                if not isinstance(event, dict):
                    raise ProviderError(self.provider, "export line is not a JSON object")
                yield event
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            # Mid-stream failures happen after provider_request returned: type them here.
            raise ProviderConnectionError(self.provider, f"export stream broke: {exc}") from exc
        finally:
            response.close()
