"""Sign-ins, failed sign-ins and sign-outs become audit events (DESIGN.md 8).

Connected in `AuditConfig.ready()`. A failed attempt has no user: it is recorded with the
client address and path only. The typed username is never kept: it is often an e-mail
address, sometimes someone else's or a password typed in the wrong box, and the trail
cannot be erased.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from audit.services import audit_event_record


def _channel(request: HttpRequest | None) -> str:
    """Where the sign-in happened: the admin, the REST API's session login, or elsewhere
    (a test client's force_login, a dashboard)."""
    path = getattr(request, "path", "") or ""
    try:
        admin_prefix = reverse("admin:index")
    except NoReverseMatch:
        admin_prefix = "/admin/"
    if path.startswith(admin_prefix):
        return "admin"
    return "rest" if path.startswith("/api/") else "system"


def _client(request: HttpRequest | None) -> dict[str, Any]:
    if request is None:
        return {}
    return {"ip": request.META.get("REMOTE_ADDR", ""), "path": request.path}


@receiver(user_logged_in, dispatch_uid="audit_login")
def audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_event_record(
        actor=user,
        actor_label=f"user:{user.get_username()}",
        channel=_channel(request),
        action="auth.login",
        obj=user,
        changes=_client(request),
    )


@receiver(user_logged_out, dispatch_uid="audit_logout")
def audit_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:  # logging out a session that was not signed in
        return
    audit_event_record(
        actor=user,
        actor_label=f"user:{user.get_username()}",
        channel=_channel(request),
        action="auth.logout",
        obj=user,
        changes=_client(request),
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    audit_event_record(
        actor=None,
        actor_label="anonymous",
        channel=_channel(request),
        action="auth.login_failed",
        changes=_client(request),
    )
