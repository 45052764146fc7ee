# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Voice of the customer: surveys, answers (as given, never edited), feedback and the
product insights shared from it."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from cs_platform.core import clock
from cs_platform.core.admin.base import MANAGERS, CsModelAdmin, account_scope_q
from health.models import Feedback, ProductInsight, Survey, SurveyResponse
from health.services.insights import INSIGHT_WRITES
from health.services.records import SURVEY_WRITES
from health.services.voice import FEEDBACK_WRITES


@admin.register(Survey)
class SurveyAdmin(CsModelAdmin):
    write_roles = MANAGERS
    writes = SURVEY_WRITES
    list_display = ("name", "key", "kind", "question", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "key", "question")
    prepopulated_fields = {"key": ("name",)}


@admin.register(SurveyResponse)
class SurveyResponseAdmin(CsModelAdmin):
    """A customer's answer is evidence: shown, never edited."""

    account_lookup = "account"
    read_only = True
    list_display = ("account", "survey", "kind", "score", "contact", "responded_at", "source")
    list_filter = ("kind", "survey", "source")
    search_fields = ("account__name", "comment", "contact__email")
    list_select_related = ("account", "survey", "contact")
    date_hierarchy = "responded_at"


@admin.register(Feedback)
class FeedbackAdmin(CsModelAdmin):
    account_lookup = "account"
    writes = FEEDBACK_WRITES
    list_display = (
        "excerpt",
        "account",
        "kind",
        "status",
        "product_area",
        "sentiment",
        "source",
        "created_at",
    )
    list_filter = ("kind", "status", "source")
    search_fields = ("text", "product_area", "account__name")
    list_select_related = ("account",)
    autocomplete_fields = ("account", "contact")
    date_hierarchy = "created_at"

    def get_changeform_initial_data(self, request):
        return {
            "created_at": clock.now(),
            "source": "admin",
            **super().get_changeform_initial_data(request),
        }

    @admin.display(description="feedback")
    def excerpt(self, obj):
        return obj.text if len(obj.text) <= 80 else obj.text[:79] + "…"


@admin.register(ProductInsight)
class ProductInsightAdmin(CsModelAdmin):
    """An insight is shared across books; the feedback behind it is not. The feedback a
    form offers is the user's book's (the service refuses any other), and a CSM sees how
    many linked items are theirs, never the others'."""

    writes = INSIGHT_WRITES
    list_display = ("title", "product_area", "status", "shared_with", "created_by", "created_at")
    list_filter = ("status", "product_area")
    search_fields = ("title", "product_area", "shared_with")
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"
    readonly_fields = ("feedback_in_book", "created_by", "created_at", "updated_at")

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != "feedback_in_book"]
        if obj is not None:  # linked feedback is added on create (or by the tools), not here
            fields = [f for f in fields if f != "feedback"] + ["feedback_in_book"]
        return fields

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "feedback":
            feedback_admin = self.admin_site._registry[Feedback]
            kwargs["queryset"] = feedback_admin.get_queryset(request).select_related("account")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_queryset(self, request):
        in_book = account_scope_q(request, "feedback__account")
        return (
            super()
            .get_queryset(request)
            .annotate(feedback_mine=Count("feedback", filter=in_book, distinct=True))
        )

    @admin.display(description="feedback in your book")
    def feedback_in_book(self, obj):
        return getattr(obj, "feedback_mine", None)
