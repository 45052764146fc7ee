# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""How support is run: SLA policies and routing rules (managers change them, everyone who
works tickets reads them), knowledge-base votes, and each account's portal settings."""

from __future__ import annotations

from django.contrib import admin

from cs_platform.core.admin.base import MANAGERS, CsModelAdmin
from integrations.models import (
    CustomerPortalSettings,
    KnowledgeArticleVote,
    SlaPolicy,
    TicketRoutingRule,
)
from integrations.services.support_desk import (
    PORTAL_WRITES,
    ROUTING_RULE_WRITES,
    SLA_POLICY_WRITES,
)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(CsModelAdmin):
    """A priority without a row keeps the documented default targets."""

    write_roles = MANAGERS
    writes = SLA_POLICY_WRITES
    list_display = ("priority", "first_response_minutes", "resolution_minutes", "updated_at")
    readonly_fields = ("updated_at",)


@admin.register(TicketRoutingRule)
class TicketRoutingRuleAdmin(CsModelAdmin):
    write_roles = MANAGERS
    writes = ROUTING_RULE_WRITES
    list_display = (
        "name",
        "position",
        "is_active",
        "match_priority",
        "match_tier",
        "match_tag",
        "match_keyword",
        "agents_text",
    )
    list_filter = ("is_active", "match_priority")
    search_fields = ("name", "match_tag", "match_keyword")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="agents")
    def agents_text(self, obj):
        return ", ".join(obj.agents or [])


@admin.register(KnowledgeArticleVote)
class KnowledgeArticleVoteAdmin(CsModelAdmin):
    """Votes are cast through `article_vote` (which recounts the article); shown here.
    A voter is a contact id or a staff label from any book: managers only."""

    view_roles = MANAGERS
    read_only = True
    list_display = ("article", "voter", "helpful", "created_at")
    list_filter = ("helpful",)
    search_fields = ("article__title", "article__slug")
    list_select_related = ("article",)
    date_hierarchy = "created_at"


@admin.register(CustomerPortalSettings)
class CustomerPortalSettingsAdmin(CsModelAdmin):
    account_lookup = "account"
    writes = PORTAL_WRITES
    list_display = (
        "account",
        "enabled",
        "subdomain",
        "sso_required",
        "show_ticket_history",
        "allow_ticket_creation",
        "show_knowledge_base",
        "updated_at",
    )
    list_filter = ("enabled", "sso_required")
    search_fields = ("account__name", "subdomain")
    list_select_related = ("account",)
    autocomplete_fields = ("account",)
    readonly_fields = ("updated_at",)
