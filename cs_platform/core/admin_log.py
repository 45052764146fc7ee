"""The write behind Django's admin log (`LogEntry`: "Recent actions", history pages),
without personal data.

Django names the object by `str(obj)` (a contact's name or address) and an inline row by
its text in the change message; both would outlive a GDPR erasure of that person. Here
the object is named by type and id and inline rows by their type only. The audit trail
(`audit.AuditEvent`) is the record of who changed what; this log is a convenience.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model


def log_repr(obj: Model) -> str:
    """How the admin log names a row: type and id, never its text."""
    return f"{obj._meta.verbose_name} #{obj.pk}"


def _nameless(message: Any) -> Any:
    if not isinstance(message, list):
        return message
    for entry in message:
        for part in entry.values() if isinstance(entry, dict) else ():
            if isinstance(part, dict) and "object" in part:
                part["object"] = "…"
    return json.dumps(message)


def admin_log_entry_create(*, user_id: int, obj: Model, flag: int, message: Any = "") -> LogEntry:
    return LogEntry.objects.create(
        user_id=user_id,
        content_type_id=ContentType.objects.get_for_model(obj, for_concrete_model=False).pk,
        object_id=str(obj.pk),
        object_repr=log_repr(obj)[:200],
        action_flag=flag,
        change_message=_nameless(message),
    )
