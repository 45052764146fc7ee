# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Scorecards, health snapshots (immutable), overrides, risk indicators, churn predictions."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef

from cs_platform.core import clock
from cs_platform.core.admin.base import MANAGERS, CsModelAdmin
from cs_platform.core.admin.display import band_badge, json_block
from cs_platform.core.admin.filters import LEVELS, choices_filter
from health.models import (
    ChurnCalibration,
    ChurnPrediction,
    HealthOverride,
    HealthScore,
    LatestHealthScore,
    RiskIndicator,
    Scorecard,
)
from health.selectors.snapshots import snapshot_result
from health.services.overrides import OVERRIDE_WRITES
from health.services.scorecards import SCORECARD_WRITES


@admin.register(Scorecard)
class ScorecardAdmin(CsModelAdmin):
    """A version is immutable once saved: snapshots cite it. New rules mean a new version."""

    write_roles = MANAGERS
    writes = SCORECARD_WRITES  # the definition is validated by the scoring library
    list_display = ("key", "version", "name", "is_active", "created_by", "created_at")
    list_filter = ("key", "is_active")
    search_fields = ("key", "name")
    list_select_related = ("created_by",)
    readonly_fields = ("created_by", "created_at", "definition_pretty")

    def get_fields(self, request, obj=None):
        base = ["key", "version", "name", "is_active"]
        return (
            [*base, "definition_pretty", "created_by", "created_at"]
            if obj
            else [
                *base,
                "definition",
            ]
        )

    @admin.display(description="definition")
    def definition_pretty(self, obj):
        return json_block(obj.definition)


class LatestFilter(admin.SimpleListFilter):
    """Latest or not: whether the account's latest pointer names the snapshot."""

    title = "latest"
    parameter_name = "latest"

    def lookups(self, request, model_admin):
        return (("yes", "Yes"), ("no", "No"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(latest_of__isnull=self.value() == "no")
        return queryset


@admin.register(HealthScore)
class HealthScoreAdmin(CsModelAdmin):
    """Snapshots are evidence of what was known at `as_of`: nobody edits them."""

    account_lookup = "account"
    read_only = True
    list_display = (
        "account",
        "score",
        "band_badge",
        "coverage",
        "confidence",
        "as_of",
        "computed_at",
        "latest",
        "scorecard",
        "overridden",
    )
    list_filter = ("band", LatestFilter, choices_filter("confidence", LEVELS), "scorecard")
    search_fields = ("account__name",)
    list_select_related = ("account", "scorecard")
    date_hierarchy = "as_of"
    fields = (
        "account",
        "scorecard",
        "as_of",
        "computed_at",
        "score",
        "computed_score",
        "band",
        "coverage",
        "confidence",
        "override",
        "latest",
        "inputs_pretty",
        "result_pretty",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        latest = LatestHealthScore.objects.filter(snapshot_id=OuterRef("pk"))
        return super().get_queryset(request).annotate(is_latest=Exists(latest))

    @admin.display(description="latest", boolean=True, ordering="is_latest")
    def latest(self, obj):
        return obj.is_latest

    @admin.display(description="band", ordering="band")
    def band_badge(self, obj):
        return band_badge(obj.band)

    @admin.display(description="overridden", boolean=True)
    def overridden(self, obj):
        return obj.override_id is not None

    @admin.display(description="inputs (with their own as_of)")
    def inputs_pretty(self, obj):
        return json_block(obj.inputs)

    @admin.display(description="per-measure scores, weights, contributions")
    def result_pretty(self, obj):
        return json_block(snapshot_result(obj))


@admin.register(HealthOverride)
class HealthOverrideAdmin(CsModelAdmin):
    """Overrides are revoked (set "revoked at"), never deleted: snapshots cite them."""

    account_lookup = "account"
    writes = OVERRIDE_WRITES  # validated, and the account re-scored on every change
    list_display = ("account", "score", "reason", "author", "created_at", "expires_at", "active")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("account__name", "reason")
    list_select_related = ("account", "author")
    autocomplete_fields = ("account",)
    readonly_fields = ("author", "created_at")
    date_hierarchy = "created_at"

    @admin.display(description="in force", boolean=True)
    def active(self, obj):
        if obj.revoked_at is not None:
            return False
        return obj.expires_at is None or obj.expires_at > clock.now()


@admin.register(RiskIndicator)
class RiskIndicatorAdmin(CsModelAdmin):
    account_lookup = "account"
    read_only = True
    list_display = ("account", "kind", "severity", "value", "detected_at", "resolved_at")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter), "severity", "kind")
    search_fields = ("account__name", "kind")
    list_select_related = ("account",)
    date_hierarchy = "detected_at"


@admin.register(ChurnPrediction)
class ChurnPredictionAdmin(CsModelAdmin):
    account_lookup = "account"
    read_only = True
    list_display = (
        "account",
        "probability",
        "risk_level",
        "model_version",
        "coverage",
        "as_of",
        "predicted_at",
    )
    list_filter = (choices_filter("risk_level", [*LEVELS, ("critical", "Critical")]),)
    search_fields = ("account__name",)
    list_select_related = ("account",)
    date_hierarchy = "predicted_at"
    fields = (
        "account",
        "as_of",
        "predicted_at",
        "probability",
        "raw_probability",
        "calibration",
        "risk_level",
        "model_version",
        "coverage",
        "factors_pretty",
    )
    readonly_fields = fields

    @admin.display(description="factors")
    def factors_pretty(self, obj):
        return json_block(obj.factors)


@admin.register(ChurnCalibration)
class ChurnCalibrationAdmin(CsModelAdmin):
    """Fits of the churn model on renewal outcomes (fit_churn_calibration writes them); the
    newest of the current model is in force."""

    read_only = True
    list_display = (
        "model_version", "version", "status", "slope", "intercept", "outcomes", "churned",
        "brier_before", "brier_after", "fitted_at",
    )  # fmt: skip
    list_filter = ("model_version", "status")
    fields = (
        "model_version", "version", "method", "status", "slope", "intercept", "outcomes",
        "churned", "horizon_days", "outcomes_from", "outcomes_to", "reason", "brier_before",
        "brier_after", "fitted_at", "created_at",
    )  # fmt: skip
    readonly_fields = fields
