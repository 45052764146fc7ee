"""Admin writes go through the services the tools use (one write path).

Each admin declares ``writes = WriteServices(create=…, update=…, delete=…)`` (or a
``RecordSpec``'s ``.writes()``). ``ServiceWriteMixin`` routes every write the admin makes
to them, with the request user as an admin-channel ``Actor``:

- add / change page: the row's changed fields (the form's values against the stored
  row, many-to-many included) plus the admin's ``form_only_fields`` that were filled in;
- inline rows: one service call per added, changed or deleted row;
- delete page, the "delete selected" action and custom actions: the delete service or
  the action's own service.

The service validates, writes and records the audit event (channel ``admin``, the user
as actor) in one transaction; the admin writes no event of its own. A service's refusal
(any ``DomainError``) rolls the whole request back and shows the service's message on
the form (or as an error message for deletes and actions), never a server error.
A writable admin that declares no services fails the system check ``cs_admin.E001``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core import checks
from django.db import router, transaction
from django.db.models import Model, QuerySet
from django.forms import BaseForm, BaseModelFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from cs_platform.core.actors import Actor, actor_for_user
from cs_platform.core.errors import DomainError
from cs_platform.core.records import WriteServices
from cs_platform.core.services import model_values


def admin_actor(request: HttpRequest) -> Actor:
    """The request user as an admin-channel Actor, built once per request."""
    actor = getattr(request, "_cs_admin_actor", None)
    if actor is None or actor.user is not request.user:
        actor = actor_for_user(request.user, channel="admin")
        request._cs_admin_actor = actor
    return actor


class ServiceRefused(Exception):
    """A service refused an admin write; `where` names the inline row, if any."""

    def __init__(self, error: DomainError, *, where: str = "") -> None:
        super().__init__(error.message)
        self.error = error
        self.where = where

    def field_messages(self) -> list[tuple[str | None, str]]:
        listed = self.error.details.get("errors") or []
        found = [(e.get("field") or None, str(e.get("message", ""))) for e in listed]
        return found or [(None, self.error.message)]

    def text(self) -> str:
        parts = [f"{f}: {m}" if f and f != "body" else m for f, m in self.field_messages()]
        return (f"{self.where}: " if self.where else "") + "; ".join(parts)


def service_call(fn: Callable[..., Any], *, where: str = "", **kwargs: Any) -> Any:
    """Call a write service; its refusal becomes `ServiceRefused` for the admin views."""
    try:
        return fn(**kwargs)
    except DomainError as exc:
        raise ServiceRefused(exc, where=where) from exc


def _form_field(form: BaseForm, name: str | None) -> str | None:
    if not name:
        return None
    for candidate in (name, name.removesuffix("_id"), name.split(".")[0]):
        if candidate in form.fields:
            return candidate
    return None


def refused_form(form_class: type[BaseForm], refusal: ServiceRefused) -> type[BaseForm]:
    """`form_class` showing the refusal: each message on its field when the form has it,
    the rest (and every inline row's) above the form."""

    def clean(self: BaseForm) -> Any:
        cleaned = super(refused, self).clean()
        for name, message in refusal.field_messages():
            target = None if refusal.where else _form_field(self, name)
            if target is None and name and name != "body":
                message = f"{name}: {message}"
            if refusal.where:
                message = f"{refusal.where}: {message}"
            self.add_error(target, message)
        return cleaned

    refused = type(form_class.__name__, (form_class,), {"clean": clean})
    return refused


def row_changes(stored: Model, edited: Model, related: dict[str, Any]) -> dict[str, Any]:
    """What the form changed: every concrete field (keyed as stored, `owner_id`) whose
    value differs from the stored row, and every many-to-many whose members differ."""
    before, after = model_values(stored), model_values(edited)
    changes = {key: value for key, value in after.items() if before.get(key) != value}
    for name, value in related.items():
        now = sorted(v.pk for v in value or [])
        if sorted(getattr(stored, name).values_list("pk", flat=True)) != now:
            changes[name] = now
    return changes


def accepted_fields(values: dict[str, Any], accepted: tuple[str, ...] | None) -> dict[str, Any]:
    """The values a create service accepts (`account_id` is accepted as `account` too)."""
    if accepted is None:
        return values
    return {k: v for k, v in values.items() if k in accepted or k.removesuffix("_id") in accepted}


def _adopt(target: Model, pk: Any) -> None:
    """Make the form's instance the row a service wrote (its id and stored values)."""
    target.pk = pk
    target._state.adding = False
    target._state.db = router.db_for_write(type(target))
    target.refresh_from_db()


class ServiceWriteMixin:
    """Routes a ModelAdmin's writes to its declared services (see the module docstring)."""

    writes: WriteServices | None = None
    read_only: bool = False
    append_only: bool = False
    # Form fields that are not model fields, passed to the services when filled in.
    form_only_fields: tuple[str, ...] = ()

    def write_services(self) -> WriteServices | None:
        return self.writes

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if not self.read_only and self.write_services() is None:
            errors.append(
                checks.Error(
                    f"{type(self).__qualname__} can write {self.model._meta.label} but "
                    "declares no write services.",
                    hint="Declare `writes = WriteServices(create=…, update=…, delete=…)` "
                    "(the services the tools use), or set `read_only = True`.",
                    obj=type(self),
                    id="cs_admin.E001",
                )
            )
        return errors

    # --- the views: a refusal rolls the request back and is shown, never a 500 --------

    def get_form(self, request: HttpRequest, obj: Any = None, *args: Any, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, *args, **kwargs)
        refusal = getattr(request, "_cs_refusal", None)
        return form if refusal is None else refused_form(form, refusal)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refusal:
            # The first pass ran in one transaction, which the refusal rolled back: show
            # the same form again with the service's message.
            request._cs_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceRefused as refusal:
            self.message_user(request, refusal.text(), messages.ERROR)
            opts = self.model._meta
            name = f"admin:{opts.app_label}_{opts.model_name}_change"
            return HttpResponseRedirect(reverse(name, args=[object_id]))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changelist_view(request, extra_context)
        except ServiceRefused as refusal:
            self.message_user(request, refusal.text(), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    # --- the writes ---------------------------------------------------------------------

    def _services(self, operation: str) -> Callable[..., Any]:
        writes = self.write_services()
        service = getattr(writes, operation, None) if writes is not None else None
        if service is None:  # permissions follow the services, so this is a bug
            raise RuntimeError(f"{type(self).__qualname__} has no {operation} service")
        return service

    def _extra_fields(self, form: BaseForm) -> dict[str, Any]:
        data = getattr(form, "cleaned_data", {})
        return {name: data[name] for name in self.form_only_fields if data.get(name)}

    def save_model(self, request: HttpRequest, obj: Model, form: BaseForm, change: bool) -> None:
        related = {
            f.name: form.cleaned_data[f.name]
            for f in obj._meta.many_to_many
            if f.name in form.cleaned_data
        }
        extra = self._extra_fields(form)
        actor = admin_actor(request)
        if change:
            stored = type(obj)._base_manager.get(pk=obj.pk)
            changes = {**row_changes(stored, obj, related), **extra}
            if changes:
                service_call(
                    self._services("update"), actor=actor, instance=stored, changes=changes
                )
                obj.refresh_from_db()
            return
        values = {**model_values(obj), **{k: list(v) for k, v in related.items()}}
        fields = {**accepted_fields(values, self.write_services().create_fields), **extra}
        created = service_call(self._services("create"), actor=actor, fields=fields)
        _adopt(obj, created.pk)

    def save_related(
        self, request: HttpRequest, form: BaseForm, formsets: list[Any], change: bool
    ) -> None:
        # Many-to-many went with the row's own service call; inline rows go through theirs.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _inline_services(self, request: HttpRequest, formset: Any, parent: Model) -> WriteServices:
        for inline in self.get_inline_instances(request, parent):
            if inline.model is formset.model:
                writes = inline.write_services()
                if writes is not None:
                    return writes
        raise RuntimeError(f"no write services for {formset.model._meta.label} rows")

    def save_formset(
        self, request: HttpRequest, form: BaseForm, formset: Any, change: bool
    ) -> None:
        if not isinstance(formset, BaseModelFormSet):
            return super().save_formset(request, form, formset, change)
        touched = [
            row
            for row in formset.forms
            if row.has_changed() or (formset.can_delete and formset._should_delete_form(row))
        ]
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if not touched:
            return None  # read-only inlines, and inlines nobody edited
        writes = self._inline_services(request, formset, form.instance)
        actor = admin_actor(request)
        label = str(formset.model._meta.verbose_name)
        fk = getattr(formset, "fk", None)
        for number, row in enumerate(formset.forms, start=1):
            where = f"{label} row {number}"
            instance = row.instance
            deleting = formset.can_delete and formset._should_delete_form(row)
            if instance.pk is not None and deleting:
                stored = type(instance)._base_manager.get(pk=instance.pk)
                service_call(writes.delete, where=where, actor=actor, instance=stored)
                formset.deleted_objects.append(instance)
            elif deleting or not row.has_changed():
                continue
            elif instance.pk is None:
                if fk is not None:
                    setattr(instance, fk.name, formset.instance)
                related = {
                    f.name: list(row.cleaned_data[f.name])
                    for f in instance._meta.many_to_many
                    if f.name in row.cleaned_data
                }
                fields = accepted_fields(
                    {**model_values(instance), **related}, writes.create_fields
                )
                created = service_call(writes.create, where=where, actor=actor, fields=fields)
                _adopt(instance, created.pk)
                formset.new_objects.append(instance)
            else:
                stored = type(instance)._base_manager.get(pk=instance.pk)
                related = {
                    f.name: row.cleaned_data[f.name]
                    for f in instance._meta.many_to_many
                    if f.name in row.cleaned_data
                }
                changes = row_changes(stored, instance, related)
                if changes:
                    service_call(
                        writes.update, where=where, actor=actor, instance=stored, changes=changes
                    )
                    instance.refresh_from_db()
                    formset.changed_objects.append((instance, row.changed_data))
        return None

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        service_call(self._services("delete"), actor=admin_actor(request), instance=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic(using=router.db_for_write(queryset.model)):
            for obj in queryset:
                self.delete_model(request, obj)
