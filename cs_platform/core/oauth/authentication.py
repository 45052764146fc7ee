"""OAuth access tokens on /mcp, as the same `Actor` an API token gives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from cs_platform.core.models import TokenScope
from cs_platform.core.telemetry.logs import log_context_set
from cs_platform.core.tokens import TOKEN_PREFIX

# What an OAuth token may grant: the API tokens' scopes that tools understand.
OAUTH_SCOPES = (TokenScope.READ.value, TokenScope.WRITE.value)


def oauth_label(access_token: Any) -> str:
    """The public name of a user's OAuth grant: client id prefix and user id."""
    client = access_token.application.client_id[:8] if access_token.application_id else "none"
    return f"oauth-{client}-{access_token.user_id}"


@dataclass(frozen=True)
class OAuthGrant:
    """An OAuth access token as the `Actor` sees a token: its scopes and a public label,
    `oauth-<client id prefix>-<user id>` (never the token): per user and client, so the
    token rate limit (`TokenRateThrottle`, keyed by it) is not shared by everyone who
    signs in through one client registration."""

    pk: int
    prefix: str
    scopes: tuple[str, ...]


class McpOAuthAuthentication(OAuth2Authentication):
    """`Authorization: Bearer <oauth access token>`. API tokens (`csp_…`) are left to
    `BearerTokenAuthentication`; a token with no user (a client registration token) or
    with neither tool scope is refused."""

    www_authenticate_realm = "mcp"

    def authenticate(self, request: Request) -> tuple | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if len(header) != 2 or header[0].lower() != "bearer" or header[1].startswith(TOKEN_PREFIX):
            return None
        result = super().authenticate(request)
        if result is None:
            return None
        user, access_token = result
        scopes = tuple(s for s in OAUTH_SCOPES if s in access_token.scope.split())
        if user is None or not user.is_active or not scopes:
            raise exceptions.AuthenticationFailed("This token does not grant tool access.")
        log_context_set(actor_id=user.pk, oauth_token_id=access_token.pk)
        return user, OAuthGrant(pk=access_token.pk, prefix=oauth_label(access_token), scopes=scopes)
