"""How support is run: the SLA policy, ticket routing rules, knowledge-base votes and the
customer portal's per-account settings."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cs_platform.core.fields import StampField
from cs_platform.core.tickets import TicketPriority
from integrations.models.support import KnowledgeArticle


class SlaPolicy(models.Model):
    """The stored SLA target of one priority (a priority without a row uses the documented
    defaults of `integrations.services.ticket_sla`)."""

    priority = models.CharField(max_length=8, choices=TicketPriority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    updated_at = StampField(auto_now=True)

    class Meta:
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_minutes__gte=1)
                & Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="sla_policy_targets_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority}: {self.first_response_minutes}/{self.resolution_minutes} min"


class TicketRoutingRule(models.Model):
    """Tickets matching every non-empty condition go to the least-loaded agent of `agents`
    (load = open tickets assigned to the agent). Rules are tried by `position`."""

    name = models.CharField(max_length=120, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    match_priority = models.CharField(max_length=8, choices=TicketPriority.choices, blank=True)
    match_tier = models.CharField(max_length=16, blank=True)
    match_tag = models.CharField(max_length=80, blank=True)
    match_keyword = models.CharField(
        max_length=80, blank=True, help_text="Case-insensitive, in subject or description."
    )
    agents = models.JSONField(default=list)
    created_at = StampField(auto_now_add=True)
    updated_at = StampField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(agents=[]), name="routing_rule_has_agents"),
        ]

    def __str__(self) -> str:
        return self.name


class KnowledgeArticleVote(models.Model):
    """One reader's verdict on an article; the article's counters are recounted from these."""

    article = models.ForeignKey(KnowledgeArticle, on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=120, help_text="Contact id or staff label of the voter.")
    helpful = models.BooleanField()
    created_at = StampField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "voter"], name="article_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'}"


class CustomerPortalSettings(models.Model):
    account = models.OneToOneField(
        "customers.Account", on_delete=models.CASCADE, related_name="portal_settings"
    )
    enabled = models.BooleanField(default=False)
    subdomain = models.SlugField(max_length=63, unique=True, null=True, blank=True)
    allowed_email_domains = models.JSONField(default=list, blank=True)
    sso_required = models.BooleanField(default=False)
    show_ticket_history = models.BooleanField(default=True)
    allow_ticket_creation = models.BooleanField(default=True)
    show_knowledge_base = models.BooleanField(default=True)
    welcome_message = models.CharField(max_length=500, blank=True)
    updated_at = StampField(auto_now=True)

    class Meta:
        verbose_name_plural = "customer portal settings"

    def __str__(self) -> str:
        return f"portal of {self.account_id}"
