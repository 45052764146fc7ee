"""Automated communication: trigger → action rules with their firings (once per account
and window), and newsletters: subscriptions, editions and per-recipient deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cs_platform.core.fields import StampField


class RuleStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"


class CommunicationRule(models.Model):
    """When an account matches `conditions` (the segment rule language), e-mail one of its
    contacts the `subject`/`body` templates, at most once per account per `window_days`."""

    name = models.CharField(max_length=160, unique=True)
    status = models.CharField(max_length=16, choices=RuleStatus.choices, default=RuleStatus.ACTIVE)
    conditions = models.JSONField(default=dict)
    recipient = models.CharField(
        max_length=16, default="primary", help_text="primary, or a contact role"
    )
    category = models.CharField(max_length=16, default="service", help_text="service, marketing")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    window_days = models.PositiveIntegerField(default=30)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = StampField(auto_now_add=True)
    last_evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_days__gte=1) & Q(window_days__lte=365),
                name="communication_rule_window_1_365",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FiringStatus(models.TextChoices):
    QUEUED = "queued", "E-mail queued"
    SKIPPED = "skipped", "Skipped (no reachable recipient)"


class CommunicationFiring(models.Model):
    """One rule firing for one account in one window: the e-mail it queued, or why none."""

    rule = models.ForeignKey(CommunicationRule, on_delete=models.CASCADE, related_name="firings")
    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="communication_firings"
    )
    window_start = models.DateField()
    fired_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=FiringStatus.choices)
    skip_reason = models.CharField(max_length=40, blank=True)
    email_message = models.ForeignKey(
        "integrations.EmailMessage", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-fired_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "account", "window_start"], name="firing_once_per_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} → {self.account_id} ({self.window_start})"


class NewsletterSubscription(models.Model):
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="newsletter_subscriptions"
    )
    newsletter = models.SlugField(max_length=60)
    subscribed_at = models.DateTimeField()
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    unsubscribe_source = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["newsletter", "contact_id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "newsletter"], name="subscription_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.newsletter}"


class EditionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"


class NewsletterEdition(models.Model):
    newsletter = models.SlugField(max_length=60)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=EditionStatus.choices, default=EditionStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = StampField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.subject


class NewsletterDelivery(models.Model):
    """One edition to one subscriber: the e-mail queued, or why it was skipped."""

    edition = models.ForeignKey(
        NewsletterEdition, on_delete=models.CASCADE, related_name="deliveries"
    )
    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="newsletter_deliveries"
    )
    status = models.CharField(max_length=16, choices=FiringStatus.choices)
    skip_reason = models.CharField(max_length=40, blank=True)
    email_message = models.ForeignKey(
        "integrations.EmailMessage", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="newsletter_deliveries",
    )  # fmt: skip
    created_at = StampField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["edition", "contact"], name="edition_once_per_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.edition_id} → {self.contact_id}"
