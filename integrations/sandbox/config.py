"""What a sandbox serves: its size, its seed and the credentials it accepts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from cs_platform.core import clock


@dataclass(frozen=True)
class SandboxCredentials:
    """The only credentials the sandbox accepts; anything else gets the provider's 401."""

    zendesk_email: str = "sandbox-agent@example.com"
    zendesk_api_token: str = "sandbox-zendesk-token"
    intercom_access_token: str = "sandbox-intercom-token"
    # Intercom signs webhooks with the app's client secret (HMAC-SHA1).
    intercom_client_secret: str = "sandbox-intercom-client-secret"
    mixpanel_username: str = "sandbox.service-account"
    mixpanel_secret: str = "sandbox-mixpanel-secret"
    mixpanel_project_id: int = 3100001
    sendgrid_api_key: str = "SG.sandbox-api-key"

    def connection_credentials(self, provider: str) -> dict[str, str]:
        """What a ``Connection`` to this sandbox stores as credentials, per provider."""
        return {
            "zendesk": {"email": self.zendesk_email, "api_token": self.zendesk_api_token},
            "intercom": {
                "access_token": self.intercom_access_token,
                "client_secret": self.intercom_client_secret,
            },
            "mixpanel": {
                "username": self.mixpanel_username,
                "secret": self.mixpanel_secret,
                "project_id": str(self.mixpanel_project_id),
            },
            "sendgrid": {"api_key": self.sendgrid_api_key},
        }[provider]


@dataclass(frozen=True)
class SandboxConfig:
    accounts: int = 100
    days: int = 90
    seed: int = 42
    events_per_day: float = 12.0  # mean Mixpanel events per account per day
    tickets_per_account: float = 3.0  # mean Zendesk tickets per account over `days`
    # Data covers the `days` full days before `today` (UTC). Fixing it makes two runs on
    # different dates identical; by default it is the UTC date at start-up.
    today: date | None = None
    credentials: SandboxCredentials = field(default_factory=SandboxCredentials)

    def resolved(self) -> SandboxConfig:
        if self.accounts < 1 or self.days < 1:
            raise ValueError("accounts and days must be at least 1")
        if self.today is not None:
            return self
        return replace(self, today=clock.today())
