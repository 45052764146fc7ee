"""What every provider client shares: credentials read from a Connection, one
``requests.Session`` per client, and every call through ``integrations.resilience``.

Credentials are checked here twice: their shape per provider (``credentials_validate``,
also used when a connection is created) and that they were really decrypted. The
encrypted-fields library hands back the stored ciphertext when the configured keys cannot
decrypt it; sending that to a provider as a token would fail as an opaque 401.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import requests
from django.conf import settings

from cs_platform.core.errors import DomainError, InvalidInput
from integrations.resilience import provider_request

if TYPE_CHECKING:
    from integrations.models import Connection

# Required credential keys per provider, with what each one is (for error messages).
REQUIRED_CREDENTIALS: dict[str, dict[str, str]] = {
    "zendesk": {"email": "agent e-mail of the API token", "api_token": "Zendesk API token"},
    "intercom": {"access_token": "Intercom access token"},
    "mixpanel": {
        "username": "service-account username",
        "secret": "service-account secret",
        "project_id": "Mixpanel project id",
    },
    "sendgrid": {"api_key": "SendGrid API key"},
}
# Keys allowed besides the required ones (kept encrypted all the same).
OPTIONAL_CREDENTIALS: dict[str, set[str]] = {
    "intercom": {"client_secret"},
    "sendgrid": {"webhook_public_key"},
}


class CredentialsUnreadable(DomainError):
    """Stored credentials could not be decrypted with the configured keys."""

    code = "credentials_undecryptable"
    http_status = 500


def credentials_validate(provider: str, credentials: Any) -> dict[str, str]:
    """The credentials as a dict of non-empty strings, or ``InvalidInput`` naming each
    missing or malformed key as ``credentials.<key>``."""
    required = REQUIRED_CREDENTIALS.get(provider)
    if required is None:
        raise InvalidInput(
            f"unknown provider {provider!r}",
            details={"errors": [{"field": "provider", "message": "unknown provider"}]},
        )
    if not isinstance(credentials, dict):
        raise InvalidInput(
            "credentials must be an object",
            details={"errors": [{"field": "credentials", "message": "expected an object"}]},
        )
    errors = []
    allowed = set(required) | OPTIONAL_CREDENTIALS.get(provider, set())
    for key, label in required.items():
        value = credentials.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append({"field": f"credentials.{key}", "message": f"{label} is required"})
    for key, value in credentials.items():
        if key not in allowed:
            errors.append({"field": f"credentials.{key}", "message": "unknown credential"})
        elif not isinstance(value, str | int) or isinstance(value, bool):
            errors.append({"field": f"credentials.{key}", "message": "must be a string"})
    if errors:
        fields = ", ".join(e["field"] for e in errors)
        raise InvalidInput(f"invalid credentials: {fields}", details={"errors": errors})
    # Encrypted JSON stores every leaf as a string; normalise now so reads match writes.
    return {key: str(value).strip() for key, value in credentials.items()}


def base_url_validate(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(
            "base_url must be an http(s) URL",
            details={"errors": [{"field": "base_url", "message": "must be an http(s) URL"}]},
        )
    return base_url.rstrip("/")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0

    @classmethod
    def from_settings(cls, options: dict[str, Any]) -> RetryPolicy:
        """Per-connection overrides (``Connection.settings``), for slow or strict APIs."""
        return cls(
            max_attempts=int(options.get("retry_max_attempts", cls.max_attempts)),
            base_delay=float(options.get("retry_base_delay", cls.base_delay)),
            max_delay=float(options.get("retry_max_delay", cls.max_delay)),
        )


class ProviderClient:
    provider: ClassVar[str]

    def __init__(
        self,
        *,
        base_url: str,
        credentials: dict[str, str],
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "cs-platform-sync/1.0"
        self.authenticate(self.session)

    @classmethod
    def for_connection(cls, connection: Connection) -> ProviderClient:
        credentials = connection.credentials
        if not isinstance(credentials, dict):
            # The library returned ciphertext: wrong SECRET_KEY or salt list.
            raise CredentialsUnreadable(
                f"credentials of connection {connection.pk} cannot be decrypted with the "
                "configured keys (check SECRET_KEY / FIELD_ENCRYPTION_SALTS)",
                details={"connection_id": connection.pk},
            )
        options = connection.settings or {}
        timeout = None
        if options.get("read_timeout") is not None:
            # A slow API (or a test) can lower or raise the read timeout per connection.
            timeout = (settings.HTTP_CONNECT_TIMEOUT, float(options["read_timeout"]))
        return cls(
            base_url=connection.base_url,
            credentials=credentials_validate(connection.provider, credentials),
            retry=RetryPolicy.from_settings(options),
            timeout=timeout,
        )

    def authenticate(self, session: requests.Session) -> None:
        raise NotImplementedError

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One logical call through the resilient helper (breaker, retries, metrics)."""
        return provider_request(
            self.provider,
            method,
            self.url(path),
            session=self.session,
            timeout=self.timeout,
            max_attempts=self.retry.max_attempts,
            base_delay=self.retry.base_delay,
            max_delay=self.retry.max_delay,
            **kwargs,
        )

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ProviderClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
