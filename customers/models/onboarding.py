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
    # Reminders and escalations by the `customers.onboarding_automation_run` beat task.
    automation_enabled = models.BooleanField(default=False)
    remind_days_before = models.PositiveSmallIntegerField(default=3)
    escalate_days_overdue = models.PositiveSmallIntegerField(default=2)
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
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

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
    certified_at = models.DateTimeField(null=True, blank=True)
    certification_expires_at = models.DateTimeField(null=True, blank=True)
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


class MilestoneOwner(models.TextChoices):
    CSM = "csm", "The account's CSM"
    CUSTOMER = "customer", "The customer's primary contact"


class OnboardingTemplate(models.Model):
    """A stored plan template: milestones with offsets from the start, owners and
    dependencies (`create_onboarding_plan` copies it into a plan)."""

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    tier = models.CharField(max_length=16, blank=True, help_text="Meant for this tier.")
    target_ttv_days = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)
    created_at = StampField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class OnboardingTemplateMilestone(models.Model):
    template = models.ForeignKey(
        OnboardingTemplate, on_delete=models.CASCADE, related_name="milestones"
    )
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=160)
    position = models.PositiveSmallIntegerField(default=0)
    due_offset_days = models.PositiveIntegerField(help_text="Due this many days after start.")
    owner = models.CharField(max_length=16, choices=MilestoneOwner.choices)
    depends_on = models.JSONField(default=list, blank=True, help_text="Keys in this template.")

    class Meta:
        ordering = ["template_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="template_milestone_key_once"),
        ]

    def __str__(self) -> str:
        return f"{self.template_id}:{self.key}"


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "Due soon"
    OVERDUE = "overdue", "Overdue (escalated)"


class OnboardingReminder(models.Model):
    """One reminder about one milestone in one window (the due date it was sent for):
    the unique key makes the automation send each at most once."""

    milestone = models.ForeignKey(
        OnboardingMilestone, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=16, choices=ReminderKind.choices)
    window = models.DateField(help_text="The due date this reminder is about.")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cta = models.ForeignKey(
        "customers.CTA", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "kind", "window"], name="reminder_once_per_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.milestone_id} {self.window}"


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class TrainingSession(models.Model):
    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="sessions")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="training_sessions")
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(default=60)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = StampField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_at"]
        indexes = [models.Index(fields=["account", "-scheduled_at"])]

    def __str__(self) -> str:
        return f"{self.module_id} for {self.account_id} at {self.scheduled_at:%Y-%m-%d}"


class AttendanceStatus(models.TextChoices):
    REGISTERED = "registered", "Registered"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "No-show"


class TrainingAttendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendance"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=16, choices=AttendanceStatus.choices, default=AttendanceStatus.REGISTERED
    )
    score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "contact"], name="attendance_once"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="attendance_score_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.status} {self.session_id}"
