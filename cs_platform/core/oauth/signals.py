"""Each OAuth token issued to a user (a consent's code exchanged, or a refresh) is an
audit event: who, which client (its id prefix, the label its calls carry), which scopes."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from oauth2_provider.signals import app_authorized

from cs_platform.core.oauth.authentication import oauth_label
from cs_platform.core.ports import audit_event_record


@receiver(app_authorized, dispatch_uid="audit_oauth_token_issued")
def audit_oauth_token_issued(sender: Any, request: Any, token: Any, **kwargs: Any) -> None:
    user = token.user
    if user is None:
        return  # a client registration token: no one signed in
    client = token.application.client_id[:8] if token.application_id else "none"
    audit_event_record(
        actor=user,
        actor_label=f"user:{user.get_username()} token:{oauth_label(token)}",
        channel="mcp",
        action="oauth.token_issued",
        changes={
            "client": client,
            "scopes": sorted(token.scope.split()),
            "grant": request.POST.get("grant_type", ""),
        },
    )
