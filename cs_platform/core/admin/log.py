"""Admin log entries that name rows by type and id (see `cs_platform.core.admin_log`)."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models import Model
from django.http import HttpRequest

from cs_platform.core.admin_log import admin_log_entry_create


class NamelessLogMixin:
    """Mixed into every project admin: Django's log without personal data."""

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> LogEntry:
        return admin_log_entry_create(
            user_id=request.user.pk, obj=obj, flag=ADDITION, message=message
        )

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> LogEntry:
        return admin_log_entry_create(
            user_id=request.user.pk, obj=obj, flag=CHANGE, message=message
        )

    def log_deletions(self, request: HttpRequest, queryset: Any) -> list[LogEntry]:
        return [
            admin_log_entry_create(user_id=request.user.pk, obj=obj, flag=DELETION)
            for obj in queryset
        ]
