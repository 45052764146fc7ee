# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Voice of the customer: surveys, answers (as given, never edited) and feedback."""

from __future__ import annotations

from django.contrib import admin

from cs_platform.core import clock
from cs_platform.core.admin.base import MANAGERS, CsModelAdmin
from health.models import Feedback, Survey, SurveyResponse
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
