"""Stored calibrations of the churn model: one row per fit, numbered per model version.

A fit maps the model's logit onto observed renewal outcomes (``health.scoring.platt``).
The newest row of the current model version is the one in force; when that row says
``uncalibrated`` (too few outcomes, or no positive slope), predictions carry the model's
own probability and say so.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cs_platform.core.fields import StampField


class ChurnCalibrationStatus(models.TextChoices):
    CALIBRATED = "calibrated", "Calibrated"
    UNCALIBRATED = "uncalibrated", "Uncalibrated"


class ChurnCalibration(models.Model):
    model_version = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    method = models.CharField(max_length=20, default="platt", db_default="platt")
    status = models.CharField(max_length=12, choices=ChurnCalibrationStatus.choices)
    slope = models.FloatField(null=True, blank=True)
    intercept = models.FloatField(null=True, blank=True)
    outcomes = models.PositiveIntegerField(help_text="Renewal outcomes the fit used")
    churned = models.PositiveIntegerField()
    horizon_days = models.PositiveIntegerField(
        help_text="Each renewal's features were taken this many days before it"
    )
    outcomes_from = models.DateField(null=True, blank=True)
    outcomes_to = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True, default="", db_default="")
    brier_before = models.FloatField(null=True, blank=True, help_text="In-sample, the model's")
    brier_after = models.FloatField(null=True, blank=True, help_text="In-sample, calibrated")
    fitted_at = models.DateTimeField()
    created_at = StampField(auto_now_add=True)

    class Meta:
        ordering = ["model_version", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_version", "version"], name="churn_calibration_version"
            ),
            models.CheckConstraint(
                condition=Q(status="uncalibrated") | Q(slope__gt=0, intercept__isnull=False),
                name="churn_calibration_has_numbers",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_version} calibration v{self.version} ({self.status})"
