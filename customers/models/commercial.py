"""Contracts, renewals and expansion: the money side of an account."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cs_platform.core.fields import StampField
from customers.models.accounts import MONEY, Account
from customers.models.choices import Currency


class ContractStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    PENDING = "pending", "Pending signature"


class Contract(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contracts")
    name = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField()
    arr = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    seats = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    auto_renew = models.BooleanField(default=False)
    # What the contract sells ("" = the core subscription; add-ons name their product):
    # products held are compared across accounts for cross-sell.
    product = models.CharField(max_length=80, blank=True, default="")
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    created_at = StampField(auto_now_add=True)

    class Meta:
        ordering = ["account_id", "-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(arr__gte=0), name="contract_arr_non_negative"),
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="contract_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["account", "status", "end_date"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.start_date} – {self.end_date})"


class RenewalStage(models.TextChoices):
    UPCOMING = "upcoming", "Upcoming"
    IN_NEGOTIATION = "in_negotiation", "In negotiation"
    COMMITTED = "committed", "Committed"
    CLOSED = "closed", "Closed"


class RenewalOutcome(models.TextChoices):
    RENEWED = "renewed", "Renewed"
    EXPANDED = "expanded", "Expanded"
    DOWNGRADED = "downgraded", "Downgraded"
    CHURNED = "churned", "Churned"


class ForecastCategory(models.TextChoices):
    COMMIT = "commit", "Commit"
    BEST_CASE = "best_case", "Best case"
    PIPELINE = "pipeline", "Pipeline"
    AT_RISK = "at_risk", "At risk"
    OMITTED = "omitted", "Omitted"


class ProposalStatus(models.TextChoices):
    NONE = "", "No proposal"
    APPROVED = "approved", "Approved"
    PENDING_APPROVAL = "pending_approval", "Waiting for a manager"
    REJECTED = "rejected", "Rejected"


class Renewal(models.Model):
    """A renewal event. Days to renewal are computed from `renewal_date`, never stored."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="renewals")
    contract = models.ForeignKey(
        Contract, null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals"
    )
    renewal_date = models.DateField()
    current_arr = models.DecimalField(**MONEY)
    proposed_arr = models.DecimalField(**MONEY, null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    probability = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    forecast_category = models.CharField(
        max_length=16, choices=ForecastCategory.choices, default=ForecastCategory.PIPELINE
    )
    stage = models.CharField(
        max_length=16, choices=RenewalStage.choices, default=RenewalStage.UPCOMING
    )
    outcome = models.CharField(max_length=16, choices=RenewalOutcome.choices, null=True, blank=True)
    outcome_arr = models.DecimalField(**MONEY, null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    # A person's forecast probability replacing the computed one, always with its reason.
    probability_override = models.DecimalField(
        max_digits=4, decimal_places=3, null=True, blank=True
    )
    probability_override_reason = models.CharField(max_length=300, blank=True)
    # The negotiation: `proposed_arr` with its discount, checked against the guardrails.
    proposal_status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, blank=True, default=ProposalStatus.NONE
    )
    proposal_reason = models.CharField(max_length=300, blank=True)
    proposal_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposal_decided_at = models.DateTimeField(null=True, blank=True)
    created_at = StampField(auto_now_add=True)

    class Meta:
        ordering = ["renewal_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(current_arr__gte=0)
                & (Q(proposed_arr__isnull=True) | Q(proposed_arr__gte=0))
                & (Q(outcome_arr__isnull=True) | Q(outcome_arr__gte=0)),
                name="renewal_money_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(probability__isnull=True)
                | (Q(probability__gte=0) & Q(probability__lte=1)),
                name="renewal_probability_0_1",
            ),
            models.CheckConstraint(
                condition=Q(probability_override__isnull=True)
                | (
                    Q(probability_override__gte=0)
                    & Q(probability_override__lte=1)
                    & ~Q(probability_override_reason="")
                ),
                name="renewal_override_0_1_with_reason",
            ),
            models.CheckConstraint(
                condition=(Q(stage=RenewalStage.CLOSED) & Q(outcome__isnull=False))
                | (~Q(stage=RenewalStage.CLOSED) & Q(outcome__isnull=True)),
                name="renewal_outcome_iff_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "renewal_date"]),
            models.Index(fields=["stage", "renewal_date"]),
        ]

    def __str__(self) -> str:
        return f"Renewal {self.account_id} on {self.renewal_date}"


class OpportunityKind(models.TextChoices):
    UPSELL = "upsell", "Upsell"
    CROSS_SELL = "cross_sell", "Cross-sell"
    SEAT_EXPANSION = "seat_expansion", "Seat expansion"


class OpportunityStatus(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    QUALIFIED = "qualified", "Qualified"
    PROPOSED = "proposed", "Proposed"
    WON = "won", "Won"
    LOST = "lost", "Lost"


OPEN_OPPORTUNITY = Q(status__in=["identified", "qualified", "proposed"])


class ExpansionOpportunity(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="expansion_opportunities"
    )
    kind = models.CharField(max_length=16, choices=OpportunityKind.choices)
    product = models.CharField(max_length=120, blank=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    status = models.CharField(
        max_length=16, choices=OpportunityStatus.choices, default=OpportunityStatus.IDENTIFIED
    )
    source = models.CharField(max_length=60, help_text="Rule or person that found it")
    rationale = models.JSONField(default=dict, blank=True)
    created_at = StampField(auto_now_add=True)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_non_neg"),
            models.UniqueConstraint(
                fields=["account", "kind", "product"],
                condition=OPEN_OPPORTUNITY,
                name="opportunity_one_open_per_kind_product",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.product} for {self.account_id}"
