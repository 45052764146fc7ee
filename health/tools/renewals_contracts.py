"""Contracts of the renewal and revenue tools: track_renewals, forecast_renewals,
negotiate_renewals, track_revenue_expansion, optimize_customer_lifetime_value."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AsOf, Cursor, PageInfo, ToolInput, ToolOutput
from cs_platform.core.contracts.vocabulary import Tier
from customers.models import RenewalOutcome

TierName = Literal[tuple(Tier.values)]  # type: ignore[valid-type]
OutcomeName = Literal[tuple(RenewalOutcome.values)]  # type: ignore[valid-type]
RenewalId = Field(default=None, ge=1, description="Renewal id (from track_renewals).")
ReminderDay = Annotated[int, Field(ge=1, le=365)]


# --- track_renewals ------------------------------------------------------------------
class TrackRenewalsInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"days_ahead": 90, "reminder_days": [60, 30, 7]}]}
    )

    days_ahead: int = Field(default=120, ge=1, le=730, description="Due within N days.")
    include_overdue: bool = Field(default=True, description="Include overdue.")
    account_id: int | None = Field(default=None, ge=1, description="One account only.")
    reminder_days: list[ReminderDay] = Field(
        default=[90, 60, 30, 7], min_length=1, max_length=10,
        description="Days before the date.",
    )  # fmt: skip
    limit: int = Field(default=50, ge=1, le=200, description="Page size.")
    cursor: Cursor


class Reminder(ToolOutput):
    days_before: int
    on: date
    status: Literal["passed", "today", "upcoming"]


class RenewalTrackRow(ToolOutput):
    renewal_id: int
    account_id: int
    account_name: str
    renewal_date: date
    days_to_renewal: int = Field(description="Negative when overdue.")
    stage: str
    current_arr: Decimal
    currency: str
    arr_reporting: Decimal | None
    proposed_arr: Decimal | None
    proposal_status: str
    auto_renew: bool | None
    health_band: str
    reminders: list[Reminder]
    next_reminder_on: date | None


class TrackRenewalsOutput(ToolOutput):
    as_of: AsOf
    reporting_currency: str
    total_renewals: int
    total_arr_reporting: Decimal
    overdue: int
    without_rate: int = Field(description="Renewals left out of the total: no exchange rate.")
    renewals: list[RenewalTrackRow]
    page: PageInfo


# --- forecast_renewals ---------------------------------------------------------------
class ForecastRenewalsInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "override",
                    "renewal_id": 311,
                    "probability": "0.35",
                    "reason": "Executive sponsor left; budget review pending",
                }
            ]
        }
    )

    action: Literal["forecast", "override", "clear_override"] = Field(
        default="forecast", description="Default forecast."
    )
    months: int = Field(default=6, ge=1, le=24, description="Months from this one.")
    renewal_id: int | None = RenewalId
    probability: Decimal | None = Field(
        default=None, ge=0, le=1, decimal_places=3, description="override: 0–1."
    )
    reason: str | None = Field(
        default=None, min_length=3, max_length=300, description="override: why."
    )
    limit: int = Field(default=50, ge=0, le=200, description="Renewals listed.")


class CategoryFigures(ToolOutput):
    renewals: int = 0
    arr: Decimal = Decimal("0.00")
    weighted_arr: Decimal = Decimal("0.00")


class ForecastMonth(ToolOutput):
    month: str
    renewals: int
    arr: Decimal
    weighted_arr: Decimal
    commit: CategoryFigures
    best_case: CategoryFigures
    at_risk: CategoryFigures


class ForecastRow(ToolOutput):
    renewal_id: int
    account_id: int
    account_name: str
    renewal_date: date
    current_arr: Decimal
    currency: str
    arr_reporting: Decimal | None
    health_band: str
    history: str = Field(description="renewed/closed past renewals.")
    model_probability: Decimal
    probability: Decimal
    override_reason: str | None
    category: str
    weighted_arr: Decimal | None


class ForecastRenewalsOutput(ToolOutput):
    as_of: AsOf
    action: str
    reporting_currency: str
    months: list[ForecastMonth]
    total: ForecastMonth
    without_rate: int
    renewals: list[ForecastRow]
    changed: dict[str, Any] | None
    definitions: dict[str, str]


# --- negotiate_renewals --------------------------------------------------------------
class NegotiateRenewalsInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "propose",
                    "renewal_id": 311,
                    "proposed_arr": "45000.00",
                    "reason": "Two-year term",
                }
            ]
        }
    )

    action: Literal["list", "get", "propose", "approve", "reject", "close"] = Field(
        description="approve/reject: managers."
    )
    renewal_id: int | None = RenewalId
    proposed_arr: Decimal | None = Field(
        default=None,
        ge=0,
        le=Decimal("999999999999.99"),
        decimal_places=2,
        description="propose: new ARR.",
    )
    reason: str | None = Field(
        default=None, max_length=300, description="Needed for a discount or rejection."
    )
    outcome: OutcomeName | None = Field(default=None, description="close: the outcome.")
    outcome_arr: Decimal | None = Field(
        default=None,
        ge=0,
        le=Decimal("999999999999.99"),
        decimal_places=2,
        description="close: new ARR.",
    )


class NegotiationRow(ToolOutput):
    renewal_id: int
    account_id: int
    account_name: str
    renewal_date: date
    stage: str
    current_arr: Decimal
    proposed_arr: Decimal | None
    currency: str
    discount_pct: Decimal | None = Field(description="% off current ARR; negative = uplift.")
    proposal_status: str
    proposal_reason: str
    decided_by: str | None
    decided_at: datetime | None
    outcome: str | None
    outcome_arr: Decimal | None


class NegotiateRenewalsOutput(ToolOutput):
    as_of: AsOf
    action: str
    guardrails: dict[str, float]
    renewal: NegotiationRow | None
    renewals: list[NegotiationRow] | None


# --- track_revenue_expansion ---------------------------------------------------------
class TrackRevenueExpansionInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"start": "2025-01-01", "end": "2025-12-31", "tier": "mid_market"}]
        }
    )

    start: date | None = Field(default=None, description="Default: a year before end.")
    end: date | None = Field(default=None, description="Default: today.")
    tier: TierName | None = Field(default=None, description="Only accounts of this tier.")


class RetentionRow(ToolOutput):
    tier: str | None
    start_arr: Decimal
    end_arr: Decimal
    expansion: Decimal
    contraction: Decimal
    churn: Decimal
    new_logo_arr: Decimal
    nrr_pct: float | None
    grr_pct: float | None
    accounts_start: int
    accounts_retained: int
    accounts_churned: int
    new_logos: int


class TrackRevenueExpansionOutput(ToolOutput):
    as_of: AsOf
    start: date
    end: date
    reporting_currency: str
    overall: RetentionRow
    by_tier: list[RetentionRow]
    contracts_without_rate: int
    definitions: dict[str, str]


# --- optimize_customer_lifetime_value ------------------------------------------------
class OptimizeClvInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"tier": "enterprise", "limit": 10}]})

    tier: TierName | None = Field(default=None, description="Only this tier.")
    limit: int = Field(default=20, ge=0, le=200, description="Accounts listed, highest CLV first.")


class ClvTier(ToolOutput):
    tier: str
    cohort_accounts: int = Field(description="Accounts paying a year ago (all books).")
    retained: int
    retention_pct: float | None
    lifetime_years: float | None
    lifetime_capped: bool
    accounts: int = Field(description="Your active accounts in the tier.")
    arr_reporting: Decimal
    clv_total: Decimal | None
    clv_if_retention_plus_5pts: Decimal | None


class ClvAccount(ToolOutput):
    account_id: int
    account_name: str
    tier: str
    arr: Decimal
    currency: str
    arr_reporting: Decimal
    clv: Decimal


class OptimizeClvOutput(ToolOutput):
    as_of: AsOf
    reporting_currency: str
    gross_margin: float
    max_lifetime_years: float
    retention_window: dict[str, date]
    tiers: list[ClvTier]
    accounts: list[ClvAccount]
    without_rate: int
    definitions: dict[str, str]
