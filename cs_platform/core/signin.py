"""Sign-in hardening: repeated failed sign-ins lock the username at that address out for a
while (django-axes), with nothing typed kept anywhere.

- Attempts are counted in the cache (Redis in production, shared by every worker) under
  a SHA-256 of username + address: no table holds the typed username, and the count
  lapses with the lock-out (`SIGNIN_LOCKOUT_MINUTES`).
- The audit trail records a failure as `auth.login_failed` and a lock-out as
  `auth.locked_out`, each with the address and path only (`audit.signals`, here).
- Log lines name the path, never the username or the address (`client_description`).
- A successful sign-in clears that username's count at that address.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.signals import user_locked_out
from django.dispatch import receiver
from django.http import HttpRequest

from cs_platform.core.ports import audit_event_record


class SignInLockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out sign-in before any password is checked. Calls without a
    request (management commands, the test client's `login`) are not sign-ins from the
    web and are not counted."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def client_description(
    username: str | None,
    ip_address: str | None,
    user_agent: str | None,
    path_info: str | None,
    request: HttpRequest | None,
) -> str:
    """How django-axes names a client in its log lines: the path only (a typed username
    may be an e-mail address or a mistyped password)."""
    return f"{{path: {path_info or '?'}}}"


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def audit_locked_out(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """A lock-out in the audit trail, without the username it locked."""
    changes = {}
    if request is not None:
        changes = {"ip": request.META.get("REMOTE_ADDR", ""), "path": request.path}
    audit_event_record(
        actor=None,
        actor_label="anonymous",
        channel="admin",
        action="auth.locked_out",
        changes=changes,
    )
