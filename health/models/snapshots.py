"""Scorecards, health snapshots, overrides, risk indicators and churn predictions.

A snapshot stores its inputs, weights and contributions, so "why did it change" is a
query over stored rows rather than a recomputation with today's data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cs_platform.core.contracts.vocabulary import HealthBand
from cs_platform.core.fields import JSONDocumentField, StampField


class Scorecard(models.Model):
    key = models.SlugField(max_length=60)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=160)
    definition = models.JSONField(help_text="Groups, measures, weights, bands, missing policy")
    is_active = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = StampField(auto_now_add=True)

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="scorecard_version_unique"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(is_active=True), name="scorecard_one_active_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


SCORE_0_100 = Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100))


class HealthScore(models.Model):
    """A health snapshot. `score` is NULL when no measure had data (never a neutral 50).

    Written 100,000 at a time, so every index costs: the foreign keys carry no index of
    their own where a composite one already leads with the column (account) or where the
    lookup is rare (scorecard: only when deleting a scorecard, which PROTECT refuses
    anyway; override: a small partial index over the few rows that have one).
    """

    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.CASCADE,
        related_name="health_scores",
        db_index=False,  # health_one_per_as_of (account, as_of, scorecard) leads with it
    )
    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.PROTECT, related_name="snapshots", db_index=False
    )
    as_of = models.DateTimeField(help_text="The moment the inputs describe")
    computed_at = models.DateTimeField()
    score = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    computed_score = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, help_text="Before any override"
    )
    band = models.CharField(max_length=20, choices=HealthBand.choices)
    coverage = models.DecimalField(max_digits=4, decimal_places=3)
    confidence = models.CharField(max_length=8)
    inputs = JSONDocumentField(help_text="Raw inputs with their own as_of")
    result = JSONDocumentField(
        help_text="Per-measure scores, weights, contributions (stored form: "
        "health.scoring.stored; read it through selectors.snapshots.snapshot_result)"
    )
    override = models.ForeignKey(
        "HealthOverride",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["account_id", "-as_of"]
        get_latest_by = "as_of"
        constraints = [
            models.CheckConstraint(condition=SCORE_0_100, name="health_score_0_100"),
            models.CheckConstraint(
                condition=Q(computed_score__isnull=True)
                | (Q(computed_score__gte=0) & Q(computed_score__lte=100)),
                name="health_computed_score_0_100",
            ),
            models.CheckConstraint(
                condition=Q(coverage__gte=0) & Q(coverage__lte=1), name="health_coverage_0_1"
            ),
            # Leads with (account, as_of): it also serves "newest snapshot at or before"
            # and the trend lookups, so no separate (account, -as_of) index is kept.
            models.UniqueConstraint(
                fields=["account", "as_of", "scorecard"], name="health_one_per_as_of"
            ),
        ]
        indexes = [
            models.Index(
                fields=["override"], condition=Q(override__isnull=False), name="health_overridden"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.score} ({self.band}) @ {self.as_of:%Y-%m-%d}"


class LatestHealthScore(models.Model):
    """Which snapshot is each account's latest: one narrow row per scored account.

    A pointer instead of an ``is_latest`` flag on the snapshots: moving the flag meant
    rewriting yesterday's whole snapshot row (~1.8 kB of JSON, five index entries) for
    every account every day, as much write work as the new snapshot itself. Moving the
    pointer rewrites 40 bytes. Written only by the recompute's writers
    (health.services.scoring.writes*), which keep the newest ``as_of`` (a backfill of an
    older date leaves it). Read it through health.selectors.snapshots.
    """

    account = models.OneToOneField(
        "customers.Account",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="health_latest",
    )
    snapshot = models.OneToOneField(HealthScore, on_delete=models.CASCADE, related_name="latest_of")
    as_of = models.DateTimeField(help_text="The snapshot's as_of (kept here to compare)")

    class Meta:
        verbose_name = "latest health score"

    def __str__(self) -> str:
        return f"{self.account_id} -> {self.snapshot_id}"


class HealthOverride(models.Model):
    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="health_overrides"
    )
    score = models.DecimalField(max_digits=4, decimal_places=1)
    reason = models.CharField(max_length=500)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = StampField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="override_score_0_100"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} → {self.score}"


class RiskIndicator(models.Model):
    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="risk_indicators"
    )
    kind = models.CharField(max_length=40)
    severity = models.CharField(max_length=8)
    value = models.FloatField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    detected_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="risk_one_open_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} ({self.severity})"


class ChurnPrediction(models.Model):
    account = models.ForeignKey(
        "customers.Account",
        on_delete=models.CASCADE,
        related_name="churn_predictions",
        db_index=False,  # the composite indexes below lead with it
    )
    as_of = models.DateTimeField()
    predicted_at = models.DateTimeField()
    probability = models.DecimalField(max_digits=5, decimal_places=4)
    risk_level = models.CharField(max_length=8)
    model_version = models.CharField(max_length=40)
    factors = JSONDocumentField()
    coverage = models.DecimalField(max_digits=4, decimal_places=3)
    # ``probability`` is calibrated when ``calibration`` is set; ``raw_probability`` is the
    # model's own (the same number when no calibration was in force).
    raw_probability = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    calibration = models.ForeignKey(
        "health.ChurnCalibration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # read through the prediction, never looked up from the fit
    )

    class Meta:
        ordering = ["account_id", "-predicted_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=0) & Q(probability__lte=1),
                name="churn_probability_0_1",
            ),
            # One prediction per account, model and as_of: a recompute retried by Celery
            # (acks_late) replaces its row instead of adding a second one.
            models.UniqueConstraint(
                fields=["account", "model_version", "as_of"], name="churn_one_per_as_of"
            ),
        ]
        indexes = [models.Index(fields=["account", "-predicted_at"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.probability} ({self.model_version})"
