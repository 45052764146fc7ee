"""Contracts of the engagement and segmentation tools (pydantic, flat, documented)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from cs_platform.core.contracts import (
    AsOf,
    Cursor,
    Limit,
    PageInfo,
    ToolInput,
    ToolOutput,
)
from cs_platform.core.contracts.vocabulary import SegmentKey

OptionalAccountId = Field(default=None, ge=1, description="Account id (from list_clients).")


# --- track_usage_engagement --------------------------------------------------------
class TrackUsageEngagementInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"account_id": 42, "weeks": 12}]})

    account_id: int | None = OptionalAccountId
    segment_key: SegmentKey | None = Field(
        default=None, description="Segment key (lowercase slug, see segment_customers action=list)."
    )
    weeks: int = Field(default=12, ge=1, le=52, description="Weekly series length, 1–52.")
    cursor: Cursor
    limit: Limit = Field(default=25, ge=1, le=100, description="Accounts per page, 1–100.")

    @model_validator(mode="after")
    def _one_target(self) -> TrackUsageEngagementInput:
        if (self.account_id is None) == (self.segment_key is None):
            raise ValueError("give exactly one of account_id or segment_key")
        return self


class WeekPoint(ToolOutput):
    week_start: date
    days_with_data: int
    active_user_days: int | None = Field(description="Sum of daily active users that week.")
    peak_dau: int | None
    sessions: int | None
    events: int | None


class EngagementRow(ToolOutput):
    account_id: int
    name: str
    days_with_data_last_30: int
    avg_dau_last_30: float | None
    avg_dau_prev_30: float | None
    wau: int | None = Field(description="Peak daily active users, last 7 days (see definitions).")
    mau: int | None = Field(description="Peak daily active users, last 30 days (see definitions).")
    stickiness_pct: float | None
    sessions_last_30: int | None
    events_last_30: int | None
    minutes_last_30: int | None
    trend_pct: float | None
    last_active_date: date | None
    first_usage_date: date | None
    weekly: list[WeekPoint]
    missing: list[str] = Field(description="Measures without data, named instead of zero-filled.")


class TrackUsageEngagementOutput(ToolOutput):
    as_of: AsOf
    definitions: dict[str, str]
    accounts: list[EngagementRow]
    page: PageInfo


# --- track_feature_adoption --------------------------------------------------------
class TrackFeatureAdoptionInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"account_id": 42, "limit": 20}]})

    account_id: int | None = Field(
        default=None, ge=1, description="One account; omit for your whole book."
    )
    category: str | None = Field(default=None, max_length=60, description="Only this category.")
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="Features per page, 1–200.")


class AccountFeatureRow(ToolOutput):
    feature_key: str
    name: str
    category: str
    adopted: bool
    first_used_on: date | None
    last_used_on: date | None
    days_since_last_use: int | None
    active_last_30d: bool
    events_total: int | None
    users_last_30d: int | None
    seat_share_pct: float | None = Field(description="users_last_30d / seats licensed × 100.")


class PortfolioFeatureRow(ToolOutput):
    feature_key: str
    name: str
    category: str
    accounts_using: int = Field(description="Accounts in scope that ever used it.")
    accounts_active_30d: int = Field(description="Accounts that used it in the last 30 days.")
    adoption_pct: float | None = Field(description="accounts_using / accounts in scope × 100.")
    active_pct: float | None
    users_last_30d_total: int
    events_total: int


class Breadth(ToolOutput):
    tracked_features: int
    used_ever: int
    used_last_30d: int
    breadth_pct: float | None = Field(description="used_last_30d / tracked_features × 100.")


class TrackFeatureAdoptionOutput(ToolOutput):
    as_of: AsOf
    account_id: int | None
    accounts_in_scope: int
    breadth: Breadth | None
    account_features: list[AccountFeatureRow] = Field(default_factory=list)
    portfolio_features: list[PortfolioFeatureRow] = Field(default_factory=list)
    missing: list[str]
    page: PageInfo


# --- track_adoption_milestones -----------------------------------------------------
class TrackAdoptionMilestonesInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"account_id": 42, "seat_share_pcts": [25, 50, 75]}]}
    )

    account_id: int = Field(ge=1, description="Account id (from list_clients).")
    seat_share_pcts: list[int] = Field(
        default=[25, 50, 75],
        min_length=1,
        max_length=10,
        description="Usage milestones: first day daily active users reached these % of seats.",
    )
    feature_counts: list[int] = Field(
        default=[1, 3, 5],
        min_length=1,
        max_length=10,
        description="Usage milestones: the day the account had used this many features.",
    )

    @model_validator(mode="after")
    def _ranges(self) -> TrackAdoptionMilestonesInput:
        if any(not 1 <= p <= 100 for p in self.seat_share_pcts):
            raise ValueError("seat_share_pcts must be 1–100")
        if any(not 1 <= n <= 1000 for n in self.feature_counts):
            raise ValueError("feature_counts must be 1–1000")
        return self


class PlanMilestone(ToolOutput):
    key: str
    name: str
    position: int
    status: str
    due_date: date | None
    completed_at: datetime | None
    overdue: bool = Field(description="Not done/skipped and past its due date.")
    days_from_start: int | None = Field(description="Completion day − plan start, in days.")


class OnboardingBlock(ToolOutput):
    plan_id: int
    template: str
    status: str
    started_on: date | None
    target_date: date | None
    completed_on: date | None
    milestones_total: int
    milestones_done: int
    milestones_overdue: int
    progress_pct: float | None
    milestones: list[PlanMilestone]


class UsageMilestone(ToolOutput):
    key: str
    label: str
    reached: bool
    reached_on: date | None
    days_from_start: int | None = Field(description="Days from customer_since; null if unknown.")


class TrackAdoptionMilestonesOutput(ToolOutput):
    as_of: AsOf
    account_id: int
    customer_since: date | None
    seats_licensed: int
    onboarding: OnboardingBlock | None
    usage_milestones: list[UsageMilestone]
    reached: int
    total: int
    missing: list[str]


# --- analyze_engagement_patterns ---------------------------------------------------
class AnalyzeEngagementPatternsInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"cohort_months": 6, "sigma": 2.5, "limit": 20}]}
    )

    cohort_months: int = Field(
        default=12, ge=1, le=36, description="How many start-month cohorts, newest last."
    )
    sigma: float = Field(
        default=2.0, ge=0.5, le=10, description="Anomaly threshold in standard deviations."
    )
    baseline_weeks: int = Field(
        default=8, ge=2, le=26, description="Baseline length before the last 7 days, in weeks."
    )
    min_baseline_days: int = Field(
        default=28, ge=7, le=182, description="Days with usage rows the baseline needs."
    )
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="Anomalies per page, 1–200.")


class CohortCell(ToolOutput):
    month_offset: int
    active_accounts: int
    retention_pct: float


class CohortRow(ToolOutput):
    cohort_month: date
    accounts: int
    accounts_with_usage_data: int
    retention: list[CohortCell]


class AnomalyRow(ToolOutput):
    account_id: int
    name: str
    direction: Literal["drop", "spike"]
    recent_mean: float = Field(description="Mean daily active users, last 7 days.")
    recent_days: int
    baseline_mean: float
    baseline_std: float
    baseline_days: int
    deviation: float = Field(description="recent_mean − baseline_mean.")
    z_score: float | None = Field(description="deviation / baseline_std; null if std is 0.")


class SilentRow(ToolOutput):
    account_id: int
    name: str
    status: str = Field(
        description="no_usage: a reporting analytics source saw nothing (a drop); "
        "no_data: no reporting source, nothing measured."
    )
    last_usage_date: date | None
    silent_days: int | None
    baseline_mean: float


class AnalyzeEngagementPatternsOutput(ToolOutput):
    as_of: AsOf
    definitions: dict[str, str]
    cohorts: list[CohortRow]
    anomalies: list[AnomalyRow]
    silent: list[SilentRow] = Field(
        description="Baseline but no usage in the last 7 days, longest silent first (≤ limit)."
    )
    accounts_silent_no_usage: int
    accounts_silent_no_data: int
    accounts_skipped_insufficient_history: int
    page: PageInfo
