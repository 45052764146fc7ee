"""Audit of admin writes: every add, change and delete made through the Django admin is one
hash-chained AuditEvent, written in the same transaction as the write (DESIGN.md 8).

`AdminAuditMixin` goes first in the bases of every ModelAdmin and InlineModelAdmin of the
project. Events carry `channel="admin"`, the request user as actor and
`changes={"diff": {field: {"before": ..., "after": ...}}}` — the same shape the
`update_client_info` tool records — with secrets (passwords, token hashes, encrypted
fields) replaced by a marker so the trail never holds a credential.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import router, transaction
from django.db.models import Model, QuerySet
from django.forms import BaseForm, BaseModelFormSet
from django.http import HttpRequest
from encrypted_fields.fields import EncryptedFieldMixin

from cs_platform.core.actors import actor_for_user
from cs_platform.core.ports import audit_event_record

REDACTED = "[redacted]"
# Field names whose values never enter the audit trail, whatever their type.
SECRET_FIELD_NAMES = frozenset({"password", "key_hash", "credentials", "webhook_secret"})


def _is_secret(field: Any) -> bool:
    return field.name in SECRET_FIELD_NAMES or isinstance(field, EncryptedFieldMixin)


def audit_field_values(obj: Model) -> dict[str, Any]:
    """Concrete field values keyed as stored (`owner_id` for a foreign key).

    `auto_now` timestamps are left out: they change on every save and say nothing.
    """
    values: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if getattr(field, "auto_now", False):
            continue
        values[field.attname] = field.value_from_object(obj)
    return values


def audit_diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"before", "after"}} for every key whose value differs (pure)."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def audit_redact(model: type[Model], diff: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Replace secret values by a marker; an empty secret stays visibly empty."""
    secret_names = set()
    for field in model._meta.concrete_fields:
        if _is_secret(field):
            secret_names.update({field.name, field.attname})
    redacted = {}
    for key, change in diff.items():
        if key in secret_names:
            change = {side: REDACTED if value else value for side, value in change.items()}
        redacted[key] = change
    return redacted


def _m2m_before(obj: Model, names: Iterable[str]) -> dict[str, list[Any]]:
    # Read before save_m2m runs (it runs in save_related, after save_model).
    if obj.pk is None:
        return {name: [] for name in names}
    return {name: sorted(getattr(obj, name).values_list("pk", flat=True)) for name in names}


def _m2m_after(form: BaseForm, names: Iterable[str]) -> dict[str, list[Any]]:
    return {name: sorted(o.pk for o in form.cleaned_data.get(name) or []) for name in names}


class AdminAuditMixin:
    """Writes one AuditEvent per admin add/change/delete, inside the write's transaction."""

    def audit_actor_label(self, request: HttpRequest) -> str:
        return actor_for_user(request.user, channel="admin").label

    def audit_account_id(self, obj: Model) -> int | None:
        """The account an object belongs to; subclasses that know a longer path override."""
        if obj._meta.label_lower == "customers.account":
            return obj.pk
        return getattr(obj, "account_id", None)

    def audit_extra_changes(
        self, request: HttpRequest, obj: Model, form: BaseForm, change: bool
    ) -> dict[str, Any]:
        """Context stored next to the diff (a stage-change reason, ...)."""
        return {}

    def audit_record(
        self,
        request: HttpRequest,
        *,
        verb: str,
        obj: Model,
        diff: dict[str, dict[str, Any]],
        account_id: int | None = None,
        object_id: Any = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        changes: dict[str, Any] = {"diff": audit_redact(type(obj), diff), **(extra or {})}
        audit_event_record(
            actor=request.user,
            actor_label=self.audit_actor_label(request),
            channel="admin",
            action=f"admin.{verb}",
            obj=obj,
            object_id=object_id if object_id is not None else "",
            account_id=account_id if account_id is not None else self.audit_account_id(obj),
            changes=changes,
        )

    def _atomic(self, model: type[Model]) -> transaction.Atomic:
        return transaction.atomic(using=router.db_for_write(model))

    def save_model(self, request: HttpRequest, obj: Model, form: BaseForm, change: bool) -> None:
        m2m_names = [f.name for f in obj._meta.many_to_many if f.name in form.cleaned_data]
        with self._atomic(type(obj)):
            before: dict[str, Any] = {}
            if change:
                stored = type(obj)._base_manager.filter(pk=obj.pk).first()
                before = audit_field_values(stored) if stored is not None else {}
            before.update(_m2m_before(obj, m2m_names) if change else {})
            super().save_model(request, obj, form, change)
            after = {**audit_field_values(obj), **_m2m_after(form, m2m_names)}
            diff = audit_diff(before, after)
            if change and not diff:
                return  # a save that changed nothing is not a change
            extra = self.audit_extra_changes(request, obj, form, change)
            self.audit_record(
                request, verb="change" if change else "add", obj=obj, diff=diff, extra=extra
            )

    def save_formset(
        self, request: HttpRequest, form: BaseForm, formset: Any, change: bool
    ) -> None:
        """Inline rows: one event per added, changed or deleted row, naming the parent."""
        if not isinstance(formset, BaseModelFormSet):
            return super().save_formset(request, form, formset, change)
        model = formset.model
        touched = [
            f
            for f in formset.initial_forms
            if f.instance.pk is not None and (f.has_changed() or formset._should_delete_form(f))
        ]
        pk_of = {id(f.instance): f.instance.pk for f in touched}
        with self._atomic(model):
            stored = model._base_manager.in_bulk([f.instance.pk for f in touched])
            before = {pk: audit_field_values(row) for pk, row in stored.items()}
            super().save_formset(request, form, formset, change)
            parent = form.instance
            context = {"parent": {"type": parent._meta.label_lower, "id": parent.pk}}
            account_id = self.audit_account_id(parent)
            for row in formset.new_objects:
                self.audit_record(
                    request,
                    verb="add",
                    obj=row,
                    extra=context,
                    diff=audit_diff({}, audit_field_values(row)),
                    account_id=account_id,
                )
            for row, _fields in formset.changed_objects:
                diff = audit_diff(before.get(row.pk, {}), audit_field_values(row))
                if diff:
                    self.audit_record(
                        request,
                        verb="change",
                        obj=row,
                        diff=diff,
                        extra=context,
                        account_id=account_id,
                    )
            for row in formset.deleted_objects:
                pk = pk_of.get(id(row))
                self.audit_record(
                    request,
                    verb="delete",
                    obj=row,
                    extra=context,
                    diff=audit_diff(before.get(pk, {}), {}),
                    account_id=account_id,
                    object_id=pk,
                )
        return None

    def _audit_delete(self, request: HttpRequest, obj: Model) -> None:
        self.audit_record(
            request, verb="delete", obj=obj, diff=audit_diff(audit_field_values(obj), {})
        )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        with self._atomic(type(obj)):
            # Recorded first, while the object still has its primary key; a failed delete
            # (a protected relation) rolls the event back with it.
            self._audit_delete(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with self._atomic(queryset.model):
            for obj in queryset:
                self._audit_delete(request, obj)
            super().delete_queryset(request, queryset)
