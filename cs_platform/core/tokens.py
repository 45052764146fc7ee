"""API token issue, lookup and revocation. Only a SHA-256 of the secret is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput, field_error
from cs_platform.core.models import ApiToken, TokenScope
from cs_platform.core.ports import audit_event_record

TOKEN_PREFIX = "csp_"  # noqa: S105 (a public marker, not a secret)
VALID_SCOPES = {s.value for s in TokenScope}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *,
    username: str,
    scopes: list[str],
    name: str = "cli",
    expires_days: int | None = None,
    is_agent: bool = False,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never retrievable again."""

    unknown = sorted(set(scopes) - VALID_SCOPES)
    if not scopes or unknown:
        raise field_error("scopes", f"must be a non-empty subset of {sorted(VALID_SCOPES)}")
    if expires_days is not None and expires_days <= 0:
        raise field_error("expires_days", "must be a positive number of days")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise InvalidInput(
            f"no user named {username!r}",
            details={"errors": [{"field": "user", "message": "unknown user", "type": "unknown"}]},
        )
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = clock.now() + timedelta(days=expires_days) if expires_days else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            key_hash=_hash(secret),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
            is_agent=is_agent,
        )
        audit_event_record(
            actor=user,
            actor_label="system:create_api_token",
            channel="command",
            action="api_token.create",
            obj=token,
            changes={"scopes": token.scopes, "expires_at": expires_at, "name": name},
        )
    return token, secret


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The live token for this secret, or None (unknown, revoked or expired)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__staff_profile")
        .filter(key_hash=_hash(secret), revoked_at__isnull=True)
        .first()
    )
    now = clock.now()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # Writing on every request would serialise traffic on one row; a minute is precise enough.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_token_revoke(*, token: ApiToken, actor_label: str, actor: Any = None) -> ApiToken:
    """Revoke a token; `actor` is who revoked it (defaults to the token's owner)."""

    with transaction.atomic():
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_event_record(
            actor=actor if actor is not None else token.user,
            actor_label=actor_label,
            channel="admin",
            action="api_token.revoke",
            obj=token,
            changes={"revoked_at": token.revoked_at, "token_user_id": token.user_id},
        )
    return token
