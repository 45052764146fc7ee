"""Typed failures of calls to external providers (Zendesk, Intercom, Mixpanel, SendGrid).

They are ``DomainError``s, so MCP, REST and admin render them as ``{code, message,
retryable, details}`` without special cases; a sync records ``code`` on its ``SyncRun``.
``retryable`` says whether trying again later can help, not whether the helper retried.
"""

from __future__ import annotations

from typing import Any

from cs_platform.core.errors import UpstreamFailure

BODY_EXCERPT_CHARS = 500


class ProviderError(UpstreamFailure):
    """Base class: a call to ``provider`` failed."""

    code = "provider_error"
    retryable = True

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status: int | None = None,
        body_excerpt: str = "",
        retry_after: float | None = None,
        attempts: int = 0,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.provider = provider
        self.status = status
        self.body_excerpt = body_excerpt[:BODY_EXCERPT_CHARS]
        self.retry_after = retry_after
        self.attempts = attempts
        # Whether the provider may have acted on the request despite this failure (a read
        # timeout, a dropped response, a 5xx other than 503): set by the resilient-call
        # helper; a caller must then check before sending a non-idempotent request again.
        self.maybe_processed = False
        merged: dict[str, Any] = {"provider": provider}
        if status is not None:
            merged["status"] = status
        if self.body_excerpt:
            merged["body_excerpt"] = self.body_excerpt
        if retry_after is not None:
            merged["retry_after"] = retry_after
        if attempts:
            merged["attempts"] = attempts
        merged.update(details or {})
        super().__init__(f"{provider}: {message}", details=merged)


class ProviderUnavailable(ProviderError):
    """The provider's circuit breaker is open: no request was sent."""

    code = "provider_unavailable"
    http_status = 503


class ProviderTimeout(ProviderError):
    code = "provider_timeout"
    http_status = 504


class ProviderConnectionError(ProviderError):
    """Connection refused, reset or dropped before a complete response arrived."""

    code = "provider_connection_error"


class ProviderRateLimited(ProviderError):
    """HTTP 429 after the retries allowed, or a ``Retry-After`` longer than we may wait."""

    code = "provider_rate_limited"
    http_status = 429


class ProviderServerError(ProviderError):
    """HTTP 5xx."""

    code = "provider_server_error"


class ProviderClientError(ProviderError):
    """HTTP 4xx other than 429: our request is wrong; repeating it cannot help."""

    code = "provider_client_error"
    retryable = False


class ProviderAuthError(ProviderClientError):
    """HTTP 401/403: the connection's credentials are wrong, revoked or lack a scope."""

    code = "provider_auth_failed"
