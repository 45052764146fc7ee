"""The base every admin of the project stands on.

- Permissions come from the staff role (`StaffProfile.role`), not from per-model Django
  permissions: managers and CSMs work, viewers only look (`read_only` admins are looked
  at by everyone and written by no one; superusers may do anything else).
- A CSM's querysets are their own book: `get_queryset` filters every account-bound admin
  through `account_list_for_actor` (customers' one scoping rule, reached through
  `cs_platform.core.ports`), and foreign-key choices to account-bound models are
  narrowed the same way, so a form cannot point outside it.
- Every write goes through the model's services (`writes`, see `admin/writes.py`), which
  validate it and record its audit event; an operation without a service is not offered.
- Inlines show at most `max_rows` rows and load each foreign key's choices once per
  inline, so an account page costs the same number of queries however much hangs off it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core import checks
from django.db.models import Q, QuerySet, Subquery
from django.forms.models import _get_foreign_key
from django.http import HttpRequest

from cs_platform.core.admin.log import NamelessLogMixin
from cs_platform.core.admin.writes import ServiceWriteMixin, admin_actor
from cs_platform.core.models import Role
from cs_platform.core.ports import account_list_for_actor
from cs_platform.core.records import WriteServices

ALL_ROLES: tuple[str, ...] = (Role.MANAGER, Role.CSM, Role.VIEWER)
WORK_ROLES: tuple[str, ...] = (Role.MANAGER, Role.CSM)
MANAGERS: tuple[str, ...] = (Role.MANAGER,)
NOBODY: tuple[str, ...] = ()


def account_scope_q(request: HttpRequest, path: str) -> Q:
    """A filter keeping rows whose account (reached by `path`, "" for Account itself) the
    request user may see: nothing filtered for managers and viewers, the book for a CSM.
    Also the filter of an aggregate (`Count(..., filter=...)`), so counts shown to a CSM
    count only their book."""
    actor = admin_actor(request)
    if actor.sees_all_accounts:
        return Q()
    visible = account_list_for_actor(actor).values("pk")
    return Q(**{f"{path}__in" if path else "pk__in": visible})


class RolePermissionMixin:
    """Role-based permissions and the CSM's account scope, for model admins and inlines."""

    # Path from this model to customers.Account ("" for Account itself); None when the
    # model does not belong to an account (catalogues, configuration).
    account_lookup: str | None = None
    view_roles: tuple[str, ...] = ALL_ROLES
    write_roles: tuple[str, ...] = WORK_ROLES
    delete_roles: tuple[str, ...] | None = None  # None: the same as write_roles
    read_only: bool = False  # computed rows and records: nobody writes them here
    append_only: bool = False  # ledgers and histories: rows may be added, never edited
    writes: WriteServices | None = None  # the services every write goes through

    def write_services(self) -> WriteServices | None:
        return self.writes

    def _has_service(self, operation: str) -> bool:
        writes = self.write_services()
        return writes is not None and getattr(writes, operation) is not None

    def _role_in(self, request: HttpRequest, roles: tuple[str, ...]) -> bool:
        user = request.user
        if not user.is_active:
            return False
        return user.is_superuser or admin_actor(request).role in roles

    def _may_write(self, request: HttpRequest, roles: tuple[str, ...]) -> bool:
        if self.read_only or not request.user.is_active:
            return False
        if request.user.is_superuser:
            return True
        return self._role_in(request, roles) and admin_actor(request).can_write()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._role_in(request, self.view_roles) or self._may_write(request, self.write_roles)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._has_service("create") and self._may_write(request, self.write_roles)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.append_only or not self._has_service("update"):
            return False
        return self._may_write(request, self.write_roles)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.append_only or not self._has_service("delete"):
            return False
        roles = self.write_roles if self.delete_roles is None else self.delete_roles
        return self._may_write(request, roles)

    def service_readonly_fields(self, *, adding: bool) -> tuple[str, ...]:
        """Model fields the declared service does not accept (on add: `create_fields`,
        on change: `update_fields`), shown read-only so the form offers only what the
        service writes."""
        writes = self.write_services()
        accepted = None
        if writes is not None:
            accepted = writes.create_fields if adding else writes.update_fields
        if accepted is None:
            return ()
        names = {a.removesuffix("_id") for a in accepted} | set(accepted)
        excluded = set(getattr(self, "exclude", None) or ())
        return tuple(
            f.name
            for f in self.model._meta.get_fields()
            if (f.concrete or f.many_to_many)
            and not f.auto_created
            and f.editable
            and f.name not in names
            and f.name not in excluded
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def scope_lookup(self) -> str | None:
        """The path from this admin's rows to their account (None: not account-bound)."""
        return self.account_lookup

    def scope_queryset(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        """Rows of accounts the request user may see (all, unless a CSM)."""
        path = self.scope_lookup()
        if path is None:
            return qs
        return qs.filter(account_scope_q(request, path))

    def is_manager(self, request: HttpRequest) -> bool:
        return request.user.is_active and self._role_in(request, MANAGERS)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        related_admin = self.admin_site._registry.get(db_field.related_model)
        if "queryset" not in kwargs and isinstance(related_admin, RolePermissionMixin):
            if related_admin.scope_lookup() is not None:
                base = db_field.related_model._default_manager.all()
                kwargs["queryset"] = related_admin.scope_queryset(request, base)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def unscoped_account_link(model_admin: RolePermissionMixin) -> str | None:
    """The first foreign key of an admin's model that leads to account-bound rows when the
    admin itself is not scoped and is not for managers only (a CSM would see other books'
    rows through it); None when there is none."""
    if model_admin.scope_lookup() is not None or set(model_admin.view_roles) <= set(MANAGERS):
        return None
    registry = model_admin.admin_site._registry
    for field in model_admin.model._meta.concrete_fields:
        target = registry.get(field.related_model) if field.is_relation else None
        if isinstance(target, RolePermissionMixin) and target.scope_lookup() is not None:
            return field.name
    return None


def scope_check(model_admin: RolePermissionMixin) -> list[checks.CheckMessage]:
    link = unscoped_account_link(model_admin)
    if link is None:
        return []
    return [
        checks.Error(
            f"{type(model_admin).__qualname__} shows {model_admin.model._meta.label} rows, "
            f"which reach accounts through '{link}', without an account scope.",
            hint="Set account_lookup (the path to the account) or view_roles = MANAGERS.",
            obj=type(model_admin),
            id="cs_admin.E002",
        )
    ]


class CsModelAdmin(NamelessLogMixin, ServiceWriteMixin, RolePermissionMixin, admin.ModelAdmin):
    """Base ModelAdmin: role permissions, account scope, writes through services, capped
    inlines, an admin log without personal data."""

    list_per_page = 50
    # Form fields that are not model fields (passed to the services); hidden from people
    # who may only look.
    form_only_fields: tuple[str, ...] = ()
    # Fields that show other books' data (raw payloads, samples, run details): shown to
    # managers only.
    manager_only_fields: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_queryset(request, super().get_queryset(request))

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return [*super().check(**kwargs), *scope_check(self)]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        extra = [f for f in self.service_readonly_fields(adding=obj is None) if f not in readonly]
        return (*readonly, *extra)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        may_edit = (
            self.has_change_permission(request, obj)
            if obj is not None
            else self.has_add_permission(request)
        )
        hidden = set() if may_edit else set(self.form_only_fields)
        if not self.is_manager(request):
            hidden |= set(self.manager_only_fields)
        if not hidden:
            return fieldsets
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]})
            for name, opts in fieldsets
        ]

    def get_formset_kwargs(
        self, request: HttpRequest, obj: Any, inline: Any, prefix: str
    ) -> dict[str, Any]:
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        max_rows = getattr(inline, "max_rows", None)
        if max_rows and obj is not None and obj.pk is not None:
            fk = _get_foreign_key(type(obj), inline.model, fk_name=inline.fk_name)
            ordering = list(getattr(inline, "row_ordering", None) or ["-pk"])
            qs = kwargs["queryset"]
            newest = qs.filter(**{fk.name: obj}).order_by(*ordering).values("pk")[:max_rows]
            kwargs["queryset"] = qs.filter(pk__in=Subquery(newest)).order_by(*ordering)
        return kwargs


class CsInlineMixin(RolePermissionMixin):
    """Inline rows are capped (`max_rows`, newest by `row_ordering`) and each foreign key
    named in `cached_choice_fields` loads its choices once per inline, not once per row.
    Rows are written through the inline's `writes`, by default those of the admin
    registered for the row's model."""

    extra = 0
    max_rows: int | None = 20
    row_ordering: tuple[str, ...] = ("-pk",)
    cached_choice_fields: tuple[str, ...] = ()
    show_change_link = True

    def write_services(self) -> WriteServices | None:
        if self.writes is not None:
            return self.writes
        registered = self.admin_site._registry.get(self.model)
        return getattr(registered, "writes", None)

    def scope_lookup(self) -> str | None:
        # An inline is scoped like the admin registered for its model unless it says
        # otherwise: a campaign's enrolments on a CSM's page are their book's only.
        if self.account_lookup is not None:
            return self.account_lookup
        registered = self.admin_site._registry.get(self.model)
        return registered.scope_lookup() if isinstance(registered, RolePermissionMixin) else None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_queryset(request, super().get_queryset(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        # Inline rows are added and changed on one form: what update does not accept is
        # read-only there (new rows get it from the create service's defaults).
        extra = [f for f in self.service_readonly_fields(adding=False) if f not in readonly]
        return (*readonly, *extra)

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = [*super().check(**kwargs), *scope_check(self)]
        if not self.read_only and self.write_services() is None:
            errors.append(
                checks.Error(
                    f"{type(self).__qualname__} can write {self.model._meta.label} rows "
                    "but neither it nor the model's admin declares write services.",
                    obj=type(self),
                    id="cs_admin.E001",
                )
            )
        return errors

    def cached_choice_queryset(
        self, request: HttpRequest, parent: Any, name: str, qs: QuerySet
    ) -> QuerySet:
        """The choices for a cached foreign key; override to narrow (e.g. to the parent)."""
        return qs

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        for name in self.cached_choice_fields:
            field = formset.form.base_fields.get(name)
            if field is None or not hasattr(field, "queryset"):
                continue
            field.queryset = self.cached_choice_queryset(request, obj, name, field.queryset)
            # A static list survives the per-form deepcopy, so rows share one query.
            field.choices = [("", field.empty_label or "---------")] + [
                (row.pk, str(row)) for row in field.queryset
            ]
        return formset


class CsTabularInline(CsInlineMixin, admin.TabularInline):
    pass


class CsStackedInline(CsInlineMixin, admin.StackedInline):
    pass
