from __future__ import annotations

from django.db import models

from cs_platform.core.fields import StampField


class MonitorKey(models.TextChoices):
    CHURN_RISK = "churn_risk_monitor", "Churn risk monitor"
    USAGE_DROP = "usage_drop_alerts", "Usage drop alerts"
    ONBOARDING = "onboarding_progress", "Onboarding progress"
    NPS_CSAT = "nps_csat_monitor", "NPS / CSAT monitor"
    SUPPORT_SLA = "support_sla_tracker", "Support SLA tracker"
    UPSELL = "upsell_detector", "Upsell detector"
    RETENTION = "retention_analyzer", "Retention analyzer"
    COHORT_DRIFT = "cohort_drift_monitor", "Cohort drift monitor"


class MonitorConfig(models.Model):
    key = models.CharField(max_length=40, choices=MonitorKey.choices, unique=True)
    enabled = models.BooleanField(default=True)
    interval_minutes = models.PositiveIntegerField(default=60)
    thresholds = models.JSONField(default=dict, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    updated_at = StampField(auto_now=True)

    def __str__(self) -> str:
        return self.get_key_display()


class MonitorRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued (manual trigger, waiting for a worker)"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class MonitorRun(models.Model):
    monitor = models.ForeignKey(MonitorConfig, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=MonitorRunStatus.choices)
    trigger = models.CharField(max_length=16, default="schedule", help_text="schedule or manual")
    accounts_scanned = models.PositiveIntegerField(default=0)
    findings = models.PositiveIntegerField(default=0)
    ctas_created = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["monitor", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.monitor_id} @ {self.started_at:%Y-%m-%d %H:%M} ({self.status})"
