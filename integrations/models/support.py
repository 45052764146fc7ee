"""Support tickets (local or mirrored from Zendesk/Intercom) and the knowledge base."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from cs_platform.core.fields import StampField

# Defined in core, which every app may import: statuses and priorities are shared.
from cs_platform.core.tickets import TicketPriority, TicketStatus


class SupportTicket(models.Model):
    account = models.ForeignKey(
        "customers.Account", on_delete=models.CASCADE, related_name="tickets"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connection = models.ForeignKey(
        "integrations.Connection",
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # removing a connection must not orphan its natural keys
        related_name="tickets",
    )
    external_id = models.CharField(max_length=64, null=True, blank=True)
    subject = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=TicketStatus.choices, default=TicketStatus.NEW)
    priority = models.CharField(
        max_length=8, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    channel = models.CharField(max_length=24, default="web")
    assignee = models.CharField(max_length=120, blank=True)
    tags = models.JSONField(default=list, blank=True)
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    sla_first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    sla_resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    sla_breached = models.BooleanField(default=False)
    satisfaction = models.PositiveSmallIntegerField(null=True, blank=True)
    source_updated_at = models.DateTimeField(null=True, blank=True)
    mirror_status = models.CharField(max_length=16, blank=True, help_text="pending/synced/failed")
    mirror_error = models.CharField(max_length=300, blank=True)
    created_at = StampField(auto_now_add=True)
    updated_at = StampField(auto_now=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"],
                condition=Q(external_id__isnull=False),
                name="ticket_external_id_per_connection",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | (Q(satisfaction__gte=1) & Q(satisfaction__lte=5)),
                name="ticket_satisfaction_1_5",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"]),
            models.Index(fields=["account", "-opened_at"]),
            models.Index(fields=["status", "priority"]),
        ]

    def __str__(self) -> str:
        return f"#{self.external_id or self.pk} {self.subject}"


class TicketComment(models.Model):
    ticket = models.ForeignKey(SupportTicket, on_delete=models.CASCADE, related_name="comments")
    external_id = models.CharField(max_length=64, null=True, blank=True)
    author = models.CharField(max_length=120)
    body = models.TextField()
    public = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "external_id"],
                condition=Q(external_id__isnull=False),
                name="ticket_comment_external_once",
            ),
        ]

    def __str__(self) -> str:
        return f"comment on {self.ticket_id}"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class KnowledgeArticle(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    tags = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    helpful_votes = models.PositiveIntegerField(default=0)
    unhelpful_votes = models.PositiveIntegerField(default=0)
    updated_at = StampField(auto_now=True)
    created_at = StampField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class KnowledgeArticleVersion(models.Model):
    article = models.ForeignKey(KnowledgeArticle, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = StampField(auto_now_add=True)

    class Meta:
        ordering = ["article_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["article", "version"], name="article_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.version}"
