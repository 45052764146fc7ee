"""Onboarding plans and milestones, training modules and completions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cs_platform.core.fields import StampField
from customers.models.accounts import Account, Contact


class PlanStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    STALLED = "stalled", "Stalled"
    COMPLETED = "completed", "Completed"


class OnboardingPlan(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="onboarding_plans")
    template = models.CharField(max_length=80)
    status = models.CharField(
        max_length=16, choices=PlanStatus.choices, default=PlanStatus.NOT_STARTED
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_on = models.DateField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    target_ttv_days = models.PositiveIntegerField(null=True, blank=True)
    created_at = StampField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["account", "status"])]

    def __str__(self) -> str:
        return f"{self.template} for {self.account_id}"


class MilestoneStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    BLOCKED = "blocked", "Blocked"
    SKIPPED = "skipped", "Skipped"


class OnboardingMilestone(models.Model):
    plan = models.ForeignKey(OnboardingPlan, on_delete=models.CASCADE, related_name="milestones")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=160)
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=MilestoneStatus.choices, default=MilestoneStatus.PENDING
    )
    due_date = models.DateField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    depends_on = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="+")

    class Meta:
        ordering = ["plan_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="milestone_key_unique_per_plan"),
            models.CheckConstraint(
                condition=~Q(status=MilestoneStatus.DONE) | Q(completed_at__isnull=False),
                name="milestone_done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class TrainingModule(models.Model):
    key = models.SlugField(max_length=60, unique=True)
    title = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(default=30)
    grants_certification = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.title


class TrainingCompletion(models.Model):
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="completions")
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="training_completions"
    )
    completed_at = models.DateTimeField()
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    certified = models.BooleanField(default=False)
    certification_revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["module", "contact"], name="completion_once"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="completion_score_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} completed {self.module_id}"
