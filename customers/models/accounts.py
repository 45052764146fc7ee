from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from cs_platform.core.fields import StampField
from customers.models.choices import (
    AccountStatus,
    Currency,
    Industry,
    LifecycleStage,
    PaymentStatus,
    Tier,
)

MONEY = {"max_digits": 14, "decimal_places": 2}
# Churn probability x ARR (unknown ARR: 0), as identify_churn_risk ranks within an urgency
# step; an index on this very expression serves that order.
CHURN_ARR_AT_RISK = models.ExpressionWrapper(
    models.F("churn_probability") * Coalesce(models.F("arr_reporting"), models.Value(0)),
    output_field=models.DecimalField(max_digits=20, decimal_places=6),
)


class Account(models.Model):
    """A customer account: the unit a CSM owns, scores and renews."""

    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=253, null=True, blank=True, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # a departing CSM leaves the book unassigned, not deleted
        related_name="owned_accounts",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.SMB)
    industry = models.CharField(max_length=24, choices=Industry.choices, default=Industry.OTHER)
    region = models.CharField(max_length=32, blank=True)
    lifecycle_stage = models.CharField(
        max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.ONBOARDING
    )
    status = models.CharField(
        max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    arr = models.DecimalField(**MONEY, default=0)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    # `arr` in the reporting currency (settings.REPORTING_CURRENCY) at the latest rate;
    # null while no rate for `currency` is known. Kept by customers.services.money.
    arr_reporting = models.DecimalField(**MONEY, null=True, blank=True, editable=False)
    # Copies of the latest health snapshot's score, band and coverage and of the next open
    # renewal's date, kept by database triggers (migrations customers 0005, health 0011) on
    # every write to those tables whatever the path (services, COPY, admin, seed), so the
    # portfolio list sorts and filters on indexed columns instead of correlated subqueries.
    # Null: never scored / no open renewal. Never written by application code.
    latest_health_score = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, editable=False
    )
    latest_health_band = models.CharField(max_length=20, null=True, blank=True, editable=False)
    latest_health_coverage = models.DecimalField(
        max_digits=4, decimal_places=3, null=True, blank=True, editable=False
    )
    next_open_renewal_date = models.DateField(null=True, blank=True, editable=False)
    # The current churn model's probability for the latest snapshot (the prediction at the
    # as_of of the account's latest pointer), kept by triggers on the predictions and the
    # pointers (health.services.churn_columns, latest_columns): with an index on
    # CHURN_ARR_AT_RISK, identify_churn_risk reads the riskiest money in order instead of
    # ranking every prediction. Null: the latest snapshot has no current prediction. No
    # as_of beside it on purpose: the pointer has it, and a copy here would rewrite every
    # account row (25 indexes) on every recompute even when nothing else changed.
    churn_probability = models.DecimalField(
        max_digits=5, decimal_places=4, null=True, blank=True, editable=False
    )
    # The calibration that prediction was made under (health.ChurnCalibration id; null:
    # uncalibrated): a new fit makes the copies under another one stale.
    churn_calibration_id = models.BigIntegerField(null=True, blank=True, editable=False)
    seats_licensed = models.PositiveIntegerField(default=0)
    payment_status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.UNKNOWN
    )
    customer_since = models.DateField(null=True, blank=True)
    churned_on = models.DateField(null=True, blank=True)
    zendesk_org_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    intercom_company_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    mixpanel_group_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    notes = models.TextField(blank=True)
    created_at = StampField(auto_now_add=True)
    updated_at = StampField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(arr__gte=0), name="account_arr_non_negative"),
            models.CheckConstraint(
                condition=~Q(status=AccountStatus.CHURNED) | Q(churned_on__isnull=False),
                name="account_churned_has_date",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="account_name_not_empty"),
        ]
        indexes = [
            models.Index(fields=["owner", "name"]),
            models.Index(fields=["tier", "lifecycle_stage"]),
            models.Index(fields=["status"]),
            # One per list_clients sort (keyset on (key, id)), whole portfolio and per book.
            models.Index(fields=["name", "id"], name="account_sort_name"),
            models.Index(fields=["arr_reporting", "id"], name="account_sort_arr"),
            models.Index(fields=["owner", "arr_reporting", "id"], name="account_book_sort_arr"),
            models.Index(fields=["latest_health_score", "id"], name="account_sort_health"),
            models.Index(
                fields=["owner", "latest_health_score", "id"], name="account_book_sort_health"
            ),
            models.Index(fields=["next_open_renewal_date", "id"], name="account_sort_renewal"),
            models.Index(
                fields=["owner", "next_open_renewal_date", "id"], name="account_book_sort_renewal"
            ),
            # identify_churn_risk: the largest probability x ARR first, per urgency step.
            models.Index(CHURN_ARR_AT_RISK.desc(), models.F("id"), name="account_churn_rank"),
            models.Index(
                fields=["status", "owner"],
                name="account_no_churn",
                condition=Q(churn_probability__isnull=True),
            ),
            # identify_churn_risk's refresh: copies made under a calibration other than the
            # one in force (none, in the daily state), found without reading every account.
            models.Index(fields=["churn_calibration_id"], name="account_churn_calibration"),
            models.Index(
                fields=["status", "owner", "id"],
                name="account_never_scored",
                condition=Q(latest_health_band__isnull=True),
            ),
            # The dashboard's red-then-yellow renewals, soonest first: read in index order
            # and stopped after a page instead of sorting every at-risk account.
            models.Index(
                fields=["latest_health_band", "next_open_renewal_date", "id"],
                name="account_risk_renewal",
                condition=Q(latest_health_band__in=["red", "yellow"]),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PortfolioRollup(models.Model):
    """Portfolio totals per (owner, health band, tier, stage, status): account count, ARR in
    the reporting currency and accounts without a rate. Kept by a PostgreSQL trigger on
    every insert, update and delete of an account (migration customers 0005), so the list's
    totals read a few hundred rows whatever the portfolio's size. `owner_key` is the owner's
    id, 0 for unassigned accounts; `band` is the latest health band, "unknown" when never
    scored. On SQLite (the embedded demo) the table stays empty and totals are aggregated."""

    owner_key = models.BigIntegerField()
    band = models.CharField(max_length=20)
    tier = models.CharField(max_length=16)
    lifecycle_stage = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    accounts = models.IntegerField(default=0)
    arr_total = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    without_rate = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_key", "band", "tier", "lifecycle_stage", "status"],
                name="portfolio_rollup_one_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_key}/{self.band}/{self.tier}/{self.lifecycle_stage}/{self.status}"


class ContactRole(models.TextChoices):
    CHAMPION = "champion", "Champion"
    DECISION_MAKER = "decision_maker", "Decision maker"
    EXEC_SPONSOR = "exec_sponsor", "Executive sponsor"
    ADMIN = "admin", "Admin"
    USER = "user", "User"
    BILLING = "billing", "Billing"


class Contact(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254)
    title = models.CharField(max_length=120, blank=True)
    role = models.CharField(max_length=16, choices=ContactRole.choices, default=ContactRole.USER)
    phone = models.CharField(max_length=40, blank=True)
    is_primary = models.BooleanField(default=False)
    email_opt_out = models.BooleanField(default=False)
    intercom_contact_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    zendesk_user_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    external_id = models.CharField(
        max_length=100, null=True, blank=True, help_text="Caller's id for bulk upserts"
    )
    last_seen_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True, help_text="Anonymised by GDPR erasure")
    created_at = StampField(auto_now_add=True)
    updated_at = StampField(auto_now=True)

    class Meta:
        ordering = ["account_id", "-is_primary", "last_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "email"], name="contact_email_per_account"),
            models.UniqueConstraint(
                fields=["account"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_account",
            ),
            models.UniqueConstraint(
                fields=["external_id"],
                condition=Q(external_id__isnull=False),
                name="contact_external_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["email"])]

    def __str__(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return f"{full or self.email} ({self.account_id})"
