"""What core calls in the apps, named in settings so that core imports no app.

Core sits below every app (the layer contracts in pyproject.toml enforce it), yet three of
its duties need an app: every write's audit event (the `audit` app), the accounts an actor
may see (`customers`, which owns `Account` and its owner), and readiness checks that read
an app's tables. Settings are the composition root: they name the one function that does
each, and these ports call it. The rule itself lives only in the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

    from cs_platform.core.actors import Actor


def _resolved(dotted_path: str) -> Callable[..., Any]:
    # Looked up on every call (the module is already in sys.modules: an attribute read),
    # so the function named is always the module's current one, as with a plain import
    # done inside the calling function.
    return import_string(dotted_path)


def audit_event_record(**event: Any) -> Model:
    """Append one audit event (settings.AUDIT_EVENT_WRITER: `audit.services.audit_event_record`).

    Same keyword arguments as the writer; must run inside the caller's write transaction.
    """
    return _resolved(settings.AUDIT_EVENT_WRITER)(**event)


def account_list_for_actor(actor: Actor) -> QuerySet:
    """The accounts `actor` may see (settings.ACCOUNT_SCOPE:
    `customers.selectors.account_list_for_actor`, the only place that decides it)."""
    return _resolved(settings.ACCOUNT_SCOPE)(actor)


def readiness_check_functions() -> dict[str, Callable[[], Any]]:
    """settings.READINESS_CHECKS, name → check function, in the order they run."""
    return {name: _resolved(path) for name, path in settings.READINESS_CHECKS.items()}
