"""Revoking a user's own OAuth grant from the admin (an MCP client they signed in to):
the access token and the refresh token issued with it, so the client cannot quietly
refresh its way back in. Audited like the issue (`oauth.token_issued`, signals.py)."""

from __future__ import annotations

from django.db import transaction
from oauth2_provider.models import AccessToken, RefreshToken

from cs_platform.core.actors import Actor
from cs_platform.core.errors import PermissionDenied
from cs_platform.core.oauth.authentication import oauth_label
from cs_platform.core.ports import audit_event_record


def oauth_token_revoke(*, actor: Actor, token: AccessToken) -> None:
    """Revoke `token` (one of the actor's own: nobody revokes another person's grant
    here) and its refresh token."""
    if token.user_id != actor.user.pk:
        raise PermissionDenied("only your own OAuth tokens can be revoked here")
    label = oauth_label(token)
    client = token.application.client_id[:8] if token.application_id else "none"
    scopes = sorted(token.scope.split())
    with transaction.atomic():
        refresh = RefreshToken.objects.filter(access_token=token, revoked__isnull=True).first()
        if refresh is not None:
            refresh.revoke()  # deletes the access token too
        else:
            token.revoke()
        audit_event_record(
            actor=actor.user,
            actor_label=actor.label,
            channel=actor.channel,
            action="oauth.token_revoked",
            changes={"client": client, "scopes": scopes, "grant": label},
        )
