# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Support tickets (local or mirrored), their comments, and the knowledge base."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import DurationField, ExpressionWrapper, F

from cs_platform.core.admin.base import CsModelAdmin, CsTabularInline
from cs_platform.core.admin.display import duration_text
from integrations.admin.connections import SECRET_COLUMNS, ConnectionFilter
from integrations.models import (
    KnowledgeArticle,
    KnowledgeArticleVersion,
    SupportTicket,
    TicketComment,
)
from integrations.services.knowledge import ARTICLE_WRITES
from integrations.services.tickets import TICKET_WRITES


def _elapsed(end: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F("opened_at"), output_field=DurationField())


class TicketCommentInline(CsTabularInline):
    model = TicketComment
    read_only = True
    fields = ("created_at", "author", "public", "body", "external_id")
    readonly_fields = fields
    max_rows = 50
    row_ordering = ("-created_at", "-id")


@admin.register(SupportTicket)
class SupportTicketAdmin(CsModelAdmin):
    """Opened and changed through the ticket services (SLA targets by priority, the status
    machine, the Zendesk copy): the form offers what they accept, the rest is shown."""

    account_lookup = "account"
    writes = TICKET_WRITES
    list_display = (
        "subject",
        "account",
        "priority",
        "status",
        "opened_at",
        "first_response",
        "resolution",
        "sla_breached",
        "external_id",
        "connection",
    )
    list_filter = ("status", "priority", "sla_breached", ConnectionFilter)
    search_fields = ("subject", "external_id", "account__name")
    search_help_text = "Subject, external id or account name"
    list_select_related = ("account", "connection")
    autocomplete_fields = ("account", "contact")
    date_hierarchy = "opened_at"
    show_full_result_count = False
    readonly_fields = ("first_response", "resolution", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("account", "contact", "subject", "description", "tags")}),
        ("Triage", {"fields": ("status", "priority", "channel", "assignee")}),
        (
            "Timing and SLA",
            {
                "fields": (
                    "opened_at",
                    "first_response_at",
                    "first_response",
                    "resolved_at",
                    "resolution",
                    "sla_first_response_minutes",
                    "sla_resolution_minutes",
                    "sla_breached",
                    "satisfaction",
                )
            },
        ),
        (
            "Source",
            {
                "classes": ("collapse",),
                "fields": (
                    "connection",
                    "external_id",
                    "source_updated_at",
                    "mirror_status",
                    "mirror_error",
                    "created_at",
                    "updated_at",
                ),
            },
        ),
    )
    inlines = [TicketCommentInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("account", "connection")
            .defer(*(f"connection__{c}" for c in SECRET_COLUMNS))
            .annotate(
                first_response_time=_elapsed("first_response_at"),
                resolution_time=_elapsed("resolved_at"),
            )
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "connection":
            kwargs["queryset"] = db_field.related_model.objects.defer(*SECRET_COLUMNS)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="first response", ordering="first_response_time")
    def first_response(self, obj):
        return duration_text(getattr(obj, "first_response_time", None))

    @admin.display(description="resolution", ordering="resolution_time")
    def resolution(self, obj):
        return duration_text(getattr(obj, "resolution_time", None))


@admin.register(TicketComment)
class TicketCommentAdmin(CsModelAdmin):
    account_lookup = "ticket__account"
    read_only = True
    list_display = ("ticket", "author", "public", "created_at")
    list_filter = ("public",)
    search_fields = ("body", "author", "ticket__subject")
    list_select_related = ("ticket",)
    date_hierarchy = "created_at"


class ArticleVersionInline(CsTabularInline):
    model = KnowledgeArticleVersion
    read_only = True
    fields = ("version", "title", "author", "created_at")
    readonly_fields = fields
    row_ordering = ("-version",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(CsModelAdmin):
    writes = ARTICLE_WRITES  # every saved wording is a version (integrations.services.knowledge)
    list_display = (
        "title",
        "slug",
        "status",
        "version",
        "helpful_votes",
        "unhelpful_votes",
        "updated_at",
    )
    list_filter = ("status",)
    search_fields = ("title", "slug", "body")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("version", "helpful_votes", "unhelpful_votes", "created_at", "updated_at")
    date_hierarchy = "updated_at"
    inlines = [ArticleVersionInline]


@admin.register(KnowledgeArticleVersion)
class KnowledgeArticleVersionAdmin(CsModelAdmin):
    read_only = True
    list_display = ("article", "version", "title", "author", "created_at")
    search_fields = ("title", "article__slug")
    list_select_related = ("article", "author")
    date_hierarchy = "created_at"
