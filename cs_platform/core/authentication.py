from __future__ import annotations

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from cs_platform.core.telemetry.logs import log_context_set
from cs_platform.core.tokens import api_token_authenticate


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`, as MCP clients send it, for REST and MCP alike."""

    keyword = "bearer"

    def authenticate(self, request: Request) -> tuple | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        token = api_token_authenticate(parts[1])
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        # Ids, never the name or the token: the rest of the request's log lines carry them
        # (the request middleware resets the context when the request ends).
        log_context_set(actor_id=token.user_id, token_id=token.pk)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
