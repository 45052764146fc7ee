"""A small client for the sandbox's control endpoints, for tests, demos and benchmarks."""

from __future__ import annotations

from typing import Any

import requests

_TIMEOUT = (3.05, 30.0)


class SandboxControl:
    """Talks to ``{url}/_sandbox/...`` over HTTP, so it works against a sandbox started
    in another process (``manage.py sandbox_providers``) as well as in this one."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._http = requests.Session()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._http.request(
            method, f"{self.url}/_sandbox/{path}", json=body, timeout=_TIMEOUT
        )
        response.raise_for_status()
        return response.json()

    def info(self) -> dict[str, Any]:
        return self._call("GET", "info")

    def set_fault(
        self,
        provider: str,
        mode: str,
        *,
        count: int | None = None,
        retry_after: float | None = None,
        delay: float | None = None,
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {"provider": provider, "mode": mode}
        if count is not None:
            spec["count"] = count
        if retry_after is not None:
            spec["retry_after"] = retry_after
        if delay is not None:
            spec["delay"] = delay
        return self._call("POST", "faults", spec)

    def reset_faults(self) -> None:
        self._call("DELETE", "faults")

    def stats(self) -> dict[str, Any]:
        return self._call("GET", "stats")

    def reset_stats(self) -> None:
        self._call("DELETE", "stats")

    def requests_to(self, provider: str) -> int:
        return self.stats()["providers"][provider]

    def zendesk_touch(self, count: int) -> dict[str, Any]:
        return self._call("POST", "zendesk/touch", {"count": count})

    def zendesk_add(self, count: int) -> dict[str, Any]:
        return self._call("POST", "zendesk/add", {"count": count})

    def intercom_touch(self, count: int, kind: str = "conversations") -> dict[str, Any]:
        return self._call("POST", "intercom/touch", {"count": count, "kind": kind})

    def intercom_add(self, count: int) -> dict[str, Any]:
        return self._call("POST", "intercom/add", {"count": count})

    def intercom_webhook(self, target_url: str, **options: Any) -> dict[str, Any]:
        return self._call("POST", "intercom/webhook", {"target_url": target_url, **options})

    def sendgrid_sent(self) -> list[dict[str, Any]]:
        return self._call("GET", "sendgrid/sent")["messages"]

    def sendgrid_activity(self, *, enabled: bool) -> dict[str, Any]:
        """Switch the Email Activity API on or off (off: 403, no paid add-on)."""
        return self._call("POST", "sendgrid/activity", {"enabled": enabled})

    def sendgrid_public_key(self) -> str:
        return self._call("GET", "sendgrid/public_key")["public_key"]

    def sendgrid_emit(
        self, target_url: str, events: list[dict[str, Any]], **options: Any
    ) -> dict[str, Any]:
        body = {"target_url": target_url, "events": events, **options}
        return self._call("POST", "sendgrid/emit", body)
