# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Provider connections, sync runs and the webhook inbox.

Credentials and the webhook secret are write-only here: the form has password inputs that
are never filled in, an empty input keeps the stored value, and no page, column or audit
event shows a decrypted secret (only which credential keys are set). Writes go through
`connection_create` / `connection_update`, which check the credentials per provider and
the URL exactly as for every other channel.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin

from cs_platform.core.admin.base import MANAGERS, CsModelAdmin
from cs_platform.core.admin.display import duration_text, json_block
from integrations.models import Connection, SyncRun, WebhookEvent
from integrations.services.connections import CONNECTION_FIELDS, CONNECTION_WRITES, SECRETS

SECRET_COLUMNS = ("credentials", "webhook_secret")


class ConnectionAdminForm(forms.ModelForm):
    base_url = forms.URLField(max_length=300, assume_scheme="https")
    new_credentials = forms.CharField(
        label="Credentials",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text='Write-only. A JSON object, e.g. {"api_token": "..."}. '
        "Leave empty to keep the stored credentials.",
    )
    new_webhook_secret = forms.CharField(
        label="Webhook secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave empty to keep the stored secret.",
    )
    clear_webhook_secret = forms.BooleanField(
        required=False, help_text="Remove the stored webhook secret."
    )

    class Meta:
        model = Connection
        # What the services accept, but credentials and webhook_secret are never
        # model-form fields (never rendered); cursors belong to the syncs (shown only).
        fields = tuple(f for f in CONNECTION_FIELDS if f not in SECRETS)

    def clean_new_credentials(self):
        raw = self.cleaned_data.get("new_credentials") or ""
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(f"not valid JSON ({exc.msg})") from exc
        if not isinstance(value, dict) or not value:
            raise forms.ValidationError("must be a non-empty JSON object")
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_webhook_secret") and cleaned.get("new_webhook_secret"):
            self.add_error("clear_webhook_secret", "Either set a new secret or clear it, not both.")
        return cleaned


@admin.register(Connection)
class ConnectionAdmin(CsModelAdmin):
    write_roles = MANAGERS
    writes = CONNECTION_WRITES
    form = ConnectionAdminForm
    form_only_fields = ("new_credentials", "new_webhook_secret", "clear_webhook_secret")
    list_display = (
        "name",
        "provider",
        "base_url",
        "enabled",
        "sync_interval_minutes",
        "last_synced_at",
    )
    list_filter = ("provider", "enabled")
    search_fields = ("name", "base_url")
    readonly_fields = ("credential_keys", "webhook_secret_set", "last_synced_at", "created_at")
    fieldsets = (
        (None, {"fields": ("provider", "name", "base_url", "enabled", "sync_interval_minutes")}),
        (
            "Secrets (write-only)",
            {
                "fields": (
                    "credential_keys",
                    "new_credentials",
                    "webhook_secret_set",
                    "new_webhook_secret",
                    "clear_webhook_secret",
                )
            },
        ),
        ("Options and cursors", {"fields": ("settings", "cursors")}),
        ("Record", {"fields": ("last_synced_at", "created_at")}),
    )

    def get_queryset(self, request):
        # Lists never decrypt secrets; the change page loads them only for the key names.
        return super().get_queryset(request).defer(*SECRET_COLUMNS)

    @admin.display(description="credentials set")
    def credential_keys(self, obj):
        if obj.pk is None:
            return None
        keys = sorted((obj.credentials or {}).keys())
        return ", ".join(keys) if keys else "none"

    @admin.display(description="webhook secret set", boolean=True)
    def webhook_secret_set(self, obj):
        return bool(obj.webhook_secret) if obj.pk is not None else None


class ConnectionFilter(admin.SimpleListFilter):
    """Connections by name without loading (and decrypting) their secrets."""

    title = "connection"
    parameter_name = "connection"

    def lookups(self, request, model_admin):
        rows = Connection.objects.only("id", "provider", "name").order_by("provider", "name")
        return [(str(c.pk), str(c)) for c in rows]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(connection_id=value) if value and value.isdigit() else queryset


@admin.register(SyncRun)
class SyncRunAdmin(CsModelAdmin):
    read_only = True
    list_display = (
        "connection",
        "stream",
        "status",
        "trigger",
        "full_resync",
        "started_at",
        "duration",
        "fetched",
        "created",
        "updated",
        "unmatched",
        "failed",
        "error_code",
    )
    list_filter = ("status", ConnectionFilter, "stream", "trigger", "full_resync")
    search_fields = ("error_code", "error_message", "task_id")
    date_hierarchy = "started_at"
    exclude = ("cursor_before", "cursor_after", "unmatched_samples")
    readonly_fields = ("cursors_pretty", "unmatched_pretty")
    # Samples are provider records no account matched (names, e-mails of any book).
    manager_only_fields = ("unmatched_pretty",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("connection")
            .defer(*(f"connection__{c}" for c in SECRET_COLUMNS))
        )

    @admin.display(description="took")
    def duration(self, obj):
        return duration_text(obj.finished_at - obj.started_at) if obj.finished_at else None

    @admin.display(description="cursor before → after")
    def cursors_pretty(self, obj):
        return json_block({"before": obj.cursor_before, "after": obj.cursor_after})

    @admin.display(description="unmatched samples")
    def unmatched_pretty(self, obj):
        return json_block(obj.unmatched_samples)


@admin.register(WebhookEvent)
class WebhookEventAdmin(CsModelAdmin):
    """Raw provider payloads name people and accounts of every book: managers only."""

    view_roles = MANAGERS
    read_only = True
    list_display = ("event_type", "provider", "event_id", "status", "received_at", "processed_at")
    list_filter = ("provider", "status")
    search_fields = ("event_id", "event_type")
    date_hierarchy = "received_at"
    exclude = ("payload",)
    readonly_fields = ("payload_pretty",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("connection")
            .defer(*(f"connection__{c}" for c in SECRET_COLUMNS))
        )

    @admin.display(description="payload")
    def payload_pretty(self, obj):
        return json_block(obj.payload)
