"""Provider clients: one per provider, built from a Connection, every call through
``integrations.resilience.provider_request``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from integrations.clients.base import (
    CredentialsUnreadable,
    ProviderClient,
    RetryPolicy,
    base_url_validate,
    credentials_validate,
)
from integrations.clients.intercom import IntercomClient
from integrations.clients.mixpanel import MixpanelClient
from integrations.clients.sendgrid import OutgoingEmail, SendGridClient
from integrations.clients.zendesk import ZendeskClient

if TYPE_CHECKING:
    from integrations.models import Connection

CLIENTS: dict[str, type[ProviderClient]] = {
    "zendesk": ZendeskClient,
    "intercom": IntercomClient,
    "mixpanel": MixpanelClient,
    "sendgrid": SendGridClient,
}


def client_for_connection(connection: Connection) -> ProviderClient:
    """The provider's client with the connection's decrypted credentials."""
    return CLIENTS[connection.provider].for_connection(connection)


__all__ = [
    "CLIENTS",
    "CredentialsUnreadable",
    "IntercomClient",
    "MixpanelClient",
    "OutgoingEmail",
    "ProviderClient",
    "RetryPolicy",
    "SendGridClient",
    "ZendeskClient",
    "base_url_validate",
    "client_for_connection",
    "credentials_validate",
]
