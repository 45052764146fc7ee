"""Voice of the customer: surveys (NPS, CSAT, CES), responses and free-form feedback."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cs_platform.core.fields import StampField


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS (0–10)"
    CSAT = "csat", "CSAT (1–5)"
    CES = "ces", "CES (1–7)"


class Survey(models.Model):
    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    question = models.CharField(max_length=300)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class SurveyResponse(models.Model):
    """One answer. For NPS, `score` is the 0–10 answer, never the −100..100 NPS."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    kind = models.CharField(max_length=8, choices=SurveyKind.choices)
    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="survey_responses"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    score = models.SmallIntegerField()
    comment = models.TextField(blank=True)
    responded_at = models.DateTimeField()
    source = models.CharField(max_length=24, default="api")
    external_id = models.CharField(max_length=100, null=True, blank=True)

    class Meta:
        ordering = ["-responded_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=SurveyKind.NPS) & Q(score__gte=0) & Q(score__lte=10))
                | (Q(kind=SurveyKind.CSAT) & Q(score__gte=1) & Q(score__lte=5))
                | (Q(kind=SurveyKind.CES) & Q(score__gte=1) & Q(score__lte=7)),
                name="survey_score_in_scale",
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="survey_response_external_unique",
            ),
        ]
        indexes = [models.Index(fields=["account", "kind", "-responded_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.score} from {self.account_id}"


class FeedbackKind(models.TextChoices):
    FEATURE_REQUEST = "feature_request", "Feature request"
    BUG = "bug", "Bug"
    PRAISE = "praise", "Praise"
    COMPLAINT = "complaint", "Complaint"
    QUESTION = "question", "Question"


class FeedbackStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    PLANNED = "planned", "Planned"
    SHIPPED = "shipped", "Shipped"
    DECLINED = "declined", "Declined"


class Feedback(models.Model):
    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="feedback"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=FeedbackKind.choices)
    status = models.CharField(
        max_length=16, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW
    )
    source = models.CharField(max_length=24, default="api")
    product_area = models.CharField(max_length=80, blank=True)
    text = models.TextField()
    sentiment = models.FloatField(null=True, blank=True, help_text="−1 (negative) to 1")
    tags = models.JSONField(default=list, blank=True, help_text="Themes, lower-case.")
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(
                condition=Q(sentiment__isnull=True) | (Q(sentiment__gte=-1) & Q(sentiment__lte=1)),
                name="feedback_sentiment_range",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="feedback_text_not_empty"),
        ]
        indexes = [models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.account_id}"


class InsightStatus(models.TextChoices):
    SHARED = "shared", "Shared"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    PLANNED = "planned", "Planned"
    SHIPPED = "shipped", "Shipped"
    DECLINED = "declined", "Declined"


class ProductInsight(models.Model):
    """A finding shared with the product team, with the feedback behind it."""

    title = models.CharField(max_length=200)
    summary = models.TextField()
    product_area = models.CharField(max_length=80, blank=True)
    status = models.CharField(
        max_length=16, choices=InsightStatus.choices, default=InsightStatus.SHARED
    )
    shared_with = models.CharField(max_length=120, help_text="Team or person it went to.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    feedback = models.ManyToManyField(Feedback, related_name="insights")
    created_at = StampField(auto_now_add=True)
    updated_at = StampField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
