"""Contracts of the feedback and product-intelligence tools."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AccountId, AsOf, IdempotencyKey, ToolInput, ToolOutput
from health.models import FeedbackKind, FeedbackStatus, InsightStatus

KindName = Literal[tuple(FeedbackKind.values)]  # type: ignore[valid-type]
StatusName = Literal[tuple(FeedbackStatus.values)]  # type: ignore[valid-type]
InsightStatusName = Literal[tuple(InsightStatus.values)]  # type: ignore[valid-type]
Tag = Annotated[str, Field(min_length=1, max_length=60)]
Id = Annotated[int, Field(ge=1)]
Days = Annotated[int, Field(ge=1, le=730, description="Look back this many days.")]


class FeedbackOut(ToolOutput):
    id: int
    account_id: int
    contact_id: int | None
    kind: str
    status: str
    source: str
    product_area: str
    tags: list[str]
    text: str
    sentiment: float | None = Field(description="VADER compound, −1..1.")
    sentiment_label: str | None = Field(description="positive ≥ 0.05, negative ≤ −0.05.")
    created_at: datetime


class CollectFeedbackInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "create",
                    "account_id": 42,
                    "kind": "feature_request",
                    "text": "Please add scheduled exports.",
                    "tags": ["exports"],
                }
            ]
        }
    )

    action: Literal["create", "list"] = Field(description="create: record; list: newest first.")
    account_id: AccountId | None = Field(
        default=None, description="create: required; list: filter."
    )
    contact_id: Id | None = Field(default=None, description="create: the customer who said it.")
    kind: KindName | None = Field(default=None, description="create: required; list: filter.")
    text: str | None = Field(default=None, min_length=1, max_length=10_000, description="create.")
    product_area: str | None = Field(default=None, max_length=80, description="create/list.")
    tags: list[Tag] | None = Field(default=None, max_length=20, description="create: themes.")
    source: Literal["csm", "in_app", "email", "survey", "api"] | None = Field(
        default=None, description="create: channel (default api)."
    )
    status: StatusName | None = Field(default=None, description="list filter.")
    days: int | None = Field(default=None, ge=1, le=730, description="list: last N days.")
    limit: int = Field(default=20, ge=1, le=100, description="list: max rows.")
    idempotency_key: IdempotencyKey


class CollectFeedbackOutput(ToolOutput):
    as_of: AsOf
    action: str
    feedback: list[FeedbackOut]


class AnalyzeFeedbackSentimentInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"days": 90}]})

    account_id: AccountId | None = Field(default=None, description="Default: your whole book.")
    days: Days = 90
    kind: KindName | None = Field(default=None, description="Only this kind.")
    product_area: str | None = Field(default=None, max_length=80, description="Only this area.")


class GroupOut(ToolOutput):
    key: str
    count: int
    average: float | None


class ThemeOut(GroupOut):
    negative_pct: float


class MonthOut(ToolOutput):
    month: date
    count: int
    average: float | None


class NegativeOut(ToolOutput):
    id: int
    account_id: int
    kind: str
    sentiment: float
    excerpt: str


class AnalyzeFeedbackSentimentOutput(ToolOutput):
    as_of: AsOf
    account_id: int | None
    feedback: int
    scored_now: int = Field(description="Rows without a stored score, scored by VADER now.")
    average: float | None
    positive: int
    neutral: int
    negative: int
    by_kind: list[GroupOut]
    themes: list[ThemeOut] = Field(description="Stored tags (else product area), top 15.")
    monthly: list[MonthOut]
    most_negative: list[NegativeOut]


class ManageVoiceOfCustomerInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"action": "summary", "days": 90}]})

    action: Literal["summary", "triage"] = Field(
        description="summary: NPS/CSAT, feedback by status/kind, themes, linked insights; "
        "triage: change one feedback's status/kind/area/tags."
    )
    account_id: AccountId | None = Field(default=None, description="summary: one account.")
    days: Days = 90
    feedback_id: Id | None = Field(default=None, description="triage: required.")
    status: StatusName | None = Field(default=None, description="triage.")
    kind: KindName | None = Field(default=None, description="triage.")
    product_area: str | None = Field(default=None, max_length=80, description="triage.")
    tags: list[Tag] | None = Field(default=None, max_length=20, description="triage: all tags.")


class VocSummaryOut(ToolOutput):
    nps: float | None
    nps_responses: int
    csat_avg: float | None
    csat_responses: int
    feedback: int
    by_status: dict[str, int]
    by_kind: dict[str, int]
    open_feature_requests: int = Field(description="Feature requests new/triaged/planned.")
    average_sentiment: float | None
    top_themes: list[ThemeOut]
    feedback_in_insights: int = Field(description="Of this feedback, linked to an insight.")


class ManageVoiceOfCustomerOutput(ToolOutput):
    as_of: AsOf
    action: str
    account_id: int | None
    summary: VocSummaryOut | None
    feedback: FeedbackOut | None
    changed: list[str]


class ShareProductInsightsInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "create",
                    "title": "Exports need scheduling",
                    "summary": "Five accounts ask for scheduled exports.",
                    "shared_with": "Product: Reporting squad",
                    "feedback_ids": [101, 102],
                }
            ]
        }
    )

    action: Literal["create", "update", "get", "list"] = Field(
        description="create: share with linked feedback; update: status/text, add feedback."
    )
    insight_id: Id | None = Field(default=None, description="get/update.")
    title: str | None = Field(default=None, min_length=1, max_length=200, description="create.")
    summary: str | None = Field(default=None, min_length=1, max_length=5000, description="create.")
    product_area: str | None = Field(default=None, max_length=80, description="create/update.")
    shared_with: str | None = Field(default=None, min_length=1, max_length=120, description="Team.")
    status: InsightStatusName | None = Field(default=None, description="update; list filter.")
    feedback_ids: list[Id] | None = Field(
        default=None, min_length=1, max_length=200, description="create: evidence; update: add."
    )
    limit: int = Field(default=20, ge=1, le=100, description="list: max rows.")
    idempotency_key: IdempotencyKey


class InsightOut(ToolOutput):
    id: int
    title: str
    summary: str
    product_area: str
    status: str
    shared_with: str
    created_by: str | None
    created_at: datetime
    feedback_count: int
    accounts: int
    arr_reporting: Decimal = Field(description="ARR of those accounts, reporting currency.")
    accounts_without_rate: int
    average_sentiment: float | None
    kinds: dict[str, int]
    feedback_ids: list[int] = Field(description="Linked feedback in your book.")


class ShareProductInsightsOutput(ToolOutput):
    as_of: AsOf
    action: str
    insights: list[InsightOut]
    changed: list[str]


class TrackCsMetricsInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"months": 6}]})

    account_id: AccountId | None = Field(default=None, description="Default: your whole book.")
    months: int = Field(default=6, ge=1, le=24, description="Calendar months, this one last.")


class CsMonthOut(ToolOutput):
    month: date
    renewals_closed: int
    prior_arr_reporting: Decimal
    grr_pct: float | None
    nrr_pct: float | None
    logo_churn_pct: float | None
    renewals_without_rate: int
    plans_completed: int
    ttv_days_median: float | None
    nps: float | None
    nps_responses: int
    csat_avg: float | None
    csat_responses: int
    ctas_opened: int
    ctas_closed: int
    cta_closure_pct: float | None
    cta_days_to_close_median: float | None


class TrackCsMetricsOutput(ToolOutput):
    as_of: AsOf
    account_id: int | None
    series: list[CsMonthOut]
    definitions: dict[str, str]
