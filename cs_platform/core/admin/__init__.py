# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Admin for platform-wide models: staff roles, API tokens, idempotency records, and the
auth User/Group admins re-registered so their writes go through the user services too.

API tokens are never added here (`manage.py create_api_token` prints the secret once);
their hash is never shown. Revoking goes through `cs_platform.core.tokens.api_token_revoke`.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from oauth2_provider.models import AccessToken

from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.admin.base import MANAGERS, NOBODY, CsModelAdmin, CsStackedInline
from cs_platform.core.admin.display import json_block
from cs_platform.core.admin.log import NamelessLogMixin
from cs_platform.core.admin.oauth import OAuthTokenAdmin
from cs_platform.core.admin.writes import ServiceWriteMixin, admin_actor
from cs_platform.core.models import ApiToken, IdempotencyRecord, StaffProfile
from cs_platform.core.tokens import api_token_revoke
from cs_platform.core.users import (
    GROUP_WRITES,
    STAFF_PROFILE_WRITES,
    USER_WRITES,
    user_password_set,
)

User = get_user_model()

# Who is changing a password: Django's password view builds the form itself, so the
# admin hands the request's actor to the form through this (per request, thread-safe).
_password_actor: ContextVar[Actor | None] = ContextVar("password_actor", default=None)


class ServicePasswordChangeForm(AdminPasswordChangeForm):
    """Saves through `user_password_set`: the hash is set by Django, the event says only
    that the password changed."""

    def set_password_and_save(self, user, password_field_name="password1", commit=True):  # noqa: S107
        usable = self.cleaned_data.get("set_usable_password", True)
        password = self.cleaned_data[password_field_name] if usable else None
        user_password_set(actor=_password_actor.get(), user=user, password=password)
        return user


class StaffProfileInline(CsStackedInline):
    model = StaffProfile
    write_roles = NOBODY  # roles are privileges: superusers only
    writes = STAFF_PROFILE_WRITES
    can_delete = False
    max_rows = None
    fields = ("role",)
    verbose_name = "CS role"


class CsUserAdmin(NamelessLogMixin, ServiceWriteMixin, UserAdmin):
    writes = USER_WRITES
    change_password_form = ServicePasswordChangeForm
    inlines = [StaffProfileInline]
    list_display = ("username", "email", "first_name", "last_name", "role", "is_staff", "is_active")
    list_filter = ("staff_profile__role", "is_staff", "is_superuser", "is_active")
    list_select_related = ("staff_profile",)

    @admin.display(description="CS role", ordering="staff_profile__role")
    def role(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return profile.get_role_display() if profile is not None else None

    def user_change_password(self, request, id, form_url=""):
        token = _password_actor.set(admin_actor(request))
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(token)


class CsGroupAdmin(NamelessLogMixin, ServiceWriteMixin, GroupAdmin):
    writes = GROUP_WRITES


# The OAuth toolkit's own admins edit clients and tokens with no role check or audit:
# not served (OAuth clients register themselves; see cs_platform/core/oauth/), except
# each person's own access tokens (cs_platform/core/admin/oauth.py).
for _model in apps.get_app_config("oauth2_provider").get_models():
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
# A staff member's own access tokens are listed, and revoked, by our admin instead.
admin.site.register(AccessToken, OAuthTokenAdmin)

admin.site.unregister(User)
admin.site.register(User, CsUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, CsGroupAdmin)


@admin.register(StaffProfile)
class StaffProfileAdmin(CsModelAdmin):
    view_roles = MANAGERS
    write_roles = NOBODY  # roles are privileges: superusers only
    writes = STAFF_PROFILE_WRITES
    list_display = ("user", "role")
    list_filter = ("role",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


class TokenStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = clock.now()
        live = queryset.filter(revoked_at__isnull=True)
        if self.value() == "active":
            return live.exclude(expires_at__lte=now)
        if self.value() == "expired":
            return live.filter(expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(CsModelAdmin):
    view_roles = MANAGERS
    read_only = True  # issued by `create_api_token` (secret shown once), revoked by action
    list_display = (
        "prefix",
        "name",
        "user",
        "scopes_text",
        "is_agent",
        "state",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = (TokenStateFilter, "is_agent")
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    # key_hash is never displayed, edited or searched.
    exclude = ("key_hash",)
    fields = (
        "prefix",
        "name",
        "user",
        "scopes",
        "is_agent",
        "state",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    readonly_fields = fields
    actions = ["revoke_tokens"]

    @admin.display(description="scopes")
    def scopes_text(self, obj):
        return ", ".join(obj.scopes or [])

    @admin.display(description="state")
    def state(self, obj):
        if obj.revoked_at is not None:
            return "revoked"
        if obj.expires_at is not None and obj.expires_at <= clock.now():
            return "expired"
        return "active"

    def has_revoke_permission(self, request):
        return request.user.is_active and self._role_in(request, MANAGERS)

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_tokens(self, request, queryset):
        label = admin_actor(request).label
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            api_token_revoke(token=token, actor_label=label, actor=request.user)
            revoked += 1
        self.message_user(request, f"Revoked {revoked} token(s); already revoked ones unchanged.")


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(CsModelAdmin):
    view_roles = MANAGERS
    read_only = True
    list_display = ("tool", "key", "user", "created_at")
    list_filter = ("tool",)
    search_fields = ("tool", "key", "user__username")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    fields = ("tool", "key", "user", "request_hash", "created_at", "response_pretty")
    readonly_fields = fields

    @admin.display(description="stored response")
    def response_pretty(self, obj):
        return json_block(obj.response)
