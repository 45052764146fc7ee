"""The consent screen and the client registration endpoint (django-oauth-toolkit's views,
narrowed to what MCP clients need)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from oauth2_provider.views import AuthorizationView
from oauth2_provider.views.dynamic_client_registration import DynamicClientRegistrationView

from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.models import Role
from cs_platform.core.ports import account_list_for_actor

# Dynamic registration serves clients that sign a user in: the authorization-code grant
# (with its refresh tokens) only. Tokens without a user cannot call tools anyway.
REGISTRABLE_GRANT_TYPES = {"authorization_code", "refresh_token"}
# Plain http only for a native client's local callback (RFC 8252 §7.3).
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _refused_redirect(uri: object) -> bool:
    if not isinstance(uri, str):
        return False  # the toolkit answers invalid_client_metadata
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS


class ConsentView(AuthorizationView):
    """The consent screen: the client's name, each scope asked for with what it allows,
    and what the token will be bound to (the signed-in user's role and book)."""

    template_name = "oauth/consent.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["scopes_descriptions_by_scope"] = list(
            zip(context.get("scopes", []), context.get("scopes_descriptions", []), strict=False)
        )
        user = self.request.user
        if user.is_authenticated:
            actor = actor_for_user(user, channel="admin")
            context["role"] = Role(actor.role).label
            context["sees_all_accounts"] = actor.sees_all_accounts
            context["book_size"] = account_list_for_actor(actor).count()
            context["may_write"] = actor.role != Role.VIEWER or user.is_superuser
        return context


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class ClientRegistrationView(DynamicClientRegistrationView):
    """RFC 7591 registration, open as MCP clients expect it, but limited: at most
    `OAUTH_REGISTRATIONS_PER_HOUR` per client address, and only clients that sign a
    user in (authorization code + refresh token)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        hour = clock.now().strftime("%Y%m%d%H")
        key = f"oauth-register:{_client_ip(request)}:{hour}"
        cache.add(key, 0, timeout=3600)
        if cache.incr(key) > settings.OAUTH_REGISTRATIONS_PER_HOUR:
            response = JsonResponse(
                {"error": "too_many_requests", "error_description": "Try again in an hour."},
                status=429,
            )
            response["Retry-After"] = "3600"
            return response
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None  # the toolkit answers invalid_client_metadata
        grant_types = body.get("grant_types", []) if isinstance(body, dict) else []
        if isinstance(grant_types, list) and set(map(str, grant_types)) - REGISTRABLE_GRANT_TYPES:
            return JsonResponse(
                {
                    "error": "invalid_client_metadata",
                    "error_description": "grant_types: only authorization_code and "
                    "refresh_token are registered here",
                },
                status=400,
            )
        redirects = body.get("redirect_uris", []) if isinstance(body, dict) else []
        if isinstance(redirects, list) and any(_refused_redirect(u) for u in redirects):
            return JsonResponse(
                {
                    "error": "invalid_redirect_uri",
                    "error_description": "http redirect URIs must be loopback addresses",
                },
                status=400,
            )
        return super().post(request, *args, **kwargs)
