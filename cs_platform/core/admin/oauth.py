# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""A staff member's own OAuth grants (MCP clients they signed in to), to look at and to
revoke. Everyone sees only their own, superusers included: a grant is a credential.
The token itself is never shown; revoking goes through `oauth_token_revoke`."""

from __future__ import annotations

from django.contrib import admin, messages

from cs_platform.core import clock
from cs_platform.core.admin.base import CsModelAdmin
from cs_platform.core.admin.writes import admin_actor
from cs_platform.core.errors import DomainError
from cs_platform.core.oauth.services import oauth_token_revoke


class OAuthTokenAdmin(CsModelAdmin):
    read_only = True  # issued by the consent flow, revoked by the action below
    list_display = ("__str__", "client", "scope", "state", "created", "expires")
    fields = ("client", "scope", "state", "created", "expires")
    readonly_fields = fields
    list_select_related = ("application",)
    date_hierarchy = "created"
    actions = ["revoke_tokens"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user=request.user)

    @admin.display(description="client")
    def client(self, obj):
        return obj.application.name if obj.application_id else None

    @admin.display(description="state")
    def state(self, obj):
        return "expired" if obj.expires <= clock.now() else "active"

    def has_revoke_permission(self, request):
        # Revoking one's own credential only takes access away: viewers may too.
        return request.user.is_active

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke_tokens(self, request, queryset):
        actor = admin_actor(request)
        revoked = 0
        for token in queryset.select_related("application"):
            try:
                oauth_token_revoke(actor=actor, token=token)
            except DomainError as error:
                self.message_user(request, error.message, level=messages.ERROR)
                continue
            revoked += 1
        self.message_user(request, f"Revoked {revoked} OAuth token(s) and their refresh tokens.")
