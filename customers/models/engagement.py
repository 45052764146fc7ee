"""The working side of an account: timeline activities, CTAs, escalations, stage history,
campaigns and programs (community, advocacy) with their points ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cs_platform.core.contracts.vocabulary import Priority
from cs_platform.core.fields import StampField
from customers.models.accounts import Account, Contact
from customers.models.choices import LifecycleStage


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "E-mail"
    NOTE = "note", "Note"
    EBR = "ebr", "Executive business review"
    QBR = "qbr", "Quarterly business review"
    TRAINING = "training", "Training session"


class Activity(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="activities")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=ActivityKind.choices)
    occurred_at = models.DateTimeField()
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    attendees = models.JSONField(default=list, blank=True)
    outcomes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["account", "-occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"


class CtaReason(models.TextChoices):
    CHURN_RISK = "churn_risk", "Churn risk"
    USAGE_DROP = "usage_drop", "Usage drop"
    LOW_SATISFACTION = "low_satisfaction", "Low NPS / CSAT"
    RENEWAL = "renewal", "Renewal upcoming"
    ONBOARDING_STALLED = "onboarding_stalled", "Onboarding stalled"
    SLA_BREACH = "sla_breach", "Support SLA breach"
    EXPANSION = "expansion", "Expansion signal"
    RETENTION_CAMPAIGN = "retention_campaign", "Retention campaign"
    EBR_FOLLOW_UP = "ebr_follow_up", "Executive review follow-up"
    COHORT_DRIFT = "cohort_drift", "Cohort drift"
    GDPR_REQUEST = "gdpr_request", "GDPR request overdue"
    MANUAL = "manual", "Manual"


class CtaStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DISMISSED = "dismissed", "Dismissed"


# The one definition of "open" and "closed" CTAs: the unique constraint, the monitors'
# cool-down, the close rule (`closed_at` follows the status) and every list use these.
CTA_OPEN_STATUSES = (CtaStatus.OPEN, CtaStatus.IN_PROGRESS)
CTA_CLOSED_STATUSES = (CtaStatus.DONE, CtaStatus.DISMISSED)
OPEN_CTA = Q(status__in=list(CTA_OPEN_STATUSES))
CLOSED_CTA = Q(status__in=list(CTA_CLOSED_STATUSES))


class CTA(models.Model):
    """A call-to-action: a task for the CSM, raised by a person or a monitor."""

    # Empty only for work that belongs to no account: an overdue GDPR request whose
    # address no contact has (owned by the DPO; see the constraint below).
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="ctas"
    )
    reason = models.CharField(max_length=24, choices=CtaReason.choices)
    title = models.CharField(max_length=200)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=16, choices=CtaStatus.choices, default=CtaStatus.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=60, help_text="Monitor key, campaign or 'manual'")
    details = models.JSONField(default=dict, blank=True)
    due_date = models.DateField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    created_at = StampField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "CTA"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "reason"], condition=OPEN_CTA, name="cta_one_open_per_reason"
            ),
            models.UniqueConstraint(
                fields=["reason"],
                condition=OPEN_CTA & Q(account__isnull=True),
                name="cta_one_open_unattached_per_reason",
            ),
            models.CheckConstraint(
                condition=Q(account__isnull=False) | Q(reason="gdpr_request"),
                name="cta_account_unless_gdpr_request",
            ),
            models.CheckConstraint(
                condition=Q(escalation_level__lte=3), name="cta_escalation_level_0_3"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return self.title


class EscalationStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Escalation(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="escalations")
    cta = models.ForeignKey(
        CTA, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations"
    )
    ticket = models.ForeignKey(
        "integrations.SupportTicket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalations",
    )
    severity = models.CharField(max_length=8, choices=Priority.choices)
    status = models.CharField(
        max_length=16, choices=EscalationStatus.choices, default=EscalationStatus.OPEN
    )
    summary = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField()
    sla_due_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["status", "sla_due_at"])]

    def __str__(self) -> str:
        return self.summary


class LifecycleStageChange(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=16, choices=LifecycleStage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=LifecycleStage.choices)
    changed_at = models.DateTimeField()
    reason = models.CharField(max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["account", "-changed_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="stage_change_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_stage} → {self.to_stage}"


class CampaignKind(models.TextChoices):
    RENEWAL = "renewal", "Renewal"
    RETENTION = "retention", "Retention"
    ONBOARDING = "onboarding", "Onboarding automation"
    NEWSLETTER = "newsletter", "Newsletter"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    FINISHED = "finished", "Finished"


class Campaign(models.Model):
    name = models.CharField(max_length=160)
    kind = models.CharField(max_length=16, choices=CampaignKind.choices)
    status = models.CharField(
        max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    trigger_rules = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = StampField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    EXITED = "exited", "Exited"


class CampaignEnrollment(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="enrollments")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="enrollments")
    status = models.CharField(
        max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    enrolled_at = models.DateTimeField()
    exited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "account"], name="enrollment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} in {self.campaign_id}"


class ProgramKind(models.TextChoices):
    COMMUNITY = "community", "Community"
    ADVOCACY = "advocacy", "Advocacy"


class Program(models.Model):
    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    kind = models.CharField(max_length=16, choices=ProgramKind.choices)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class ProgramMember(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="members")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="program_members")
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    level = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "contact"], name="program_member_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.program_id}"


class ProgramContribution(models.Model):
    """The points ledger: append-only rows; a member's balance is their sum."""

    member = models.ForeignKey(
        ProgramMember, on_delete=models.CASCADE, related_name="contributions"
    )
    kind = models.CharField(max_length=40, help_text="reference, case_study, post, answer, ...")
    points = models.IntegerField()
    occurred_at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"


class ReviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class ExecutiveReview(models.Model):
    """An executive business review: who attends, the agenda and objectives, and once held
    the outcome, which objectives were met, the timeline entry and the follow-up CTA."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="reviews")
    title = models.CharField(max_length=200)
    scheduled_for = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.SCHEDULED
    )
    attendees = models.ManyToManyField(Contact, blank=True, related_name="reviews")
    staff_attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    agenda = models.JSONField(default=list, blank=True)
    objectives = models.JSONField(default=list, blank=True)
    objectives_met = models.JSONField(default=list, blank=True, help_text="Indexes into objectives")
    outcome = models.TextField(blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    activity = models.OneToOneField(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="review"
    )
    follow_up_cta = models.ForeignKey(
        CTA, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = StampField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        indexes = [models.Index(fields=["account", "-scheduled_for"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ReviewStatus.HELD) | Q(held_at__isnull=False),
                name="review_held_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title
