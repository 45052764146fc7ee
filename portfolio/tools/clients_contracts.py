"""Contracts of the portfolio tools: get_client_overview, list_clients, get_client_timeline
(pydantic, flat, documented)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from cs_platform.core.contracts import (
    AccountId,
    AsOf,
    Cursor,
    Limit,
    PageInfo,
    ToolInput,
    ToolOutput,
)
from cs_platform.core.contracts.vocabulary import AnyScalar, BandName, StageName, TierName
from customers.models import AccountStatus

AccountStatusName = Literal[tuple(AccountStatus.values)]  # type: ignore[valid-type]


# --- get_client_overview -----------------------------------------------------------
class GetClientOverviewInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"account_id": 42}]})

    account_id: AccountId


class HealthComponent(ToolOutput):
    key: str | None
    label: str | None
    group: str | None
    input: AnyScalar = Field(description="Raw input the measure read; null when missing.")
    score: float | None
    weight: float | None
    contribution: float | None
    status: str | None


class HealthBlock(ToolOutput):
    score: float | None = Field(description="0–100; null when no measure had data.")
    computed_score: float | None
    band: str
    as_of: datetime
    coverage: float = Field(description="Share of scorecard weight backed by real data, 0–1.")
    confidence: str
    scorecard: str
    override_reason: str | None
    components: list[HealthComponent]


class ContractBlock(ToolOutput):
    id: int
    name: str
    start_date: date
    end_date: date
    arr: Decimal
    currency: str
    seats: int
    status: str


class RenewalBlock(ToolOutput):
    id: int
    renewal_date: date
    days_to_renewal: int = Field(description="Computed now; negative when overdue.")
    current_arr: Decimal
    proposed_arr: Decimal | None
    probability: Decimal | None
    stage: str
    forecast_category: str


class TicketCounts(ToolOutput):
    total: int
    urgent: int
    high: int
    normal: int
    low: int
    sla_breached: int
    oldest_opened_at: datetime | None


class OpenTicket(ToolOutput):
    id: int
    external_id: str | None
    subject: str
    priority: str
    status: str
    opened_at: datetime
    sla_breached: bool


class UsageBlock(ToolOutput):
    window_days: int
    days_with_data_last_30: int
    avg_dau_last_30: float | None
    avg_dau_prev_30: float | None
    peak_dau_last_30: int | None
    sessions_last_30: int | None
    trend_pct: float | None = Field(description="Last 30 vs prior 30 days; null if no baseline.")
    last_active_date: date | None


class SurveyBlock(ToolOutput):
    window_days: int
    nps_responses: int
    nps: float | None = Field(description="Net Promoter Score −100..100 over the window.")
    nps_answer_avg: float | None = Field(description="Mean 0–10 answer (not the NPS).")
    promoters: int
    passives: int
    detractors: int
    csat_responses: int
    csat_avg: float | None
    last_response_at: datetime | None


class OpenCta(ToolOutput):
    id: int
    reason: str
    title: str
    priority: str
    status: str
    due_date: date | None
    created_at: datetime


class ClientOverviewOutput(ToolOutput):
    as_of: AsOf
    account_id: int
    name: str
    domain: str | None
    tier: str
    industry: str
    region: str
    lifecycle_stage: str
    status: str
    arr: Decimal
    currency: str
    seats_licensed: int
    payment_status: str
    owner: str | None
    customer_since: date | None
    health: HealthBlock | None = Field(description="Null when never scored (see `missing`).")
    contract: ContractBlock | None
    renewal: RenewalBlock | None
    open_tickets: TicketCounts
    oldest_open_tickets: list[OpenTicket]
    usage: UsageBlock
    surveys: SurveyBlock
    open_ctas: list[OpenCta]
    missing: list[str] = Field(description="Sections with no data, named rather than zero-filled.")


# --- list_clients ------------------------------------------------------------------
ClientField = Literal[
    "name", "tier", "lifecycle_stage", "status", "arr", "currency", "arr_reporting", "owner",
    "health_score", "health_band", "health_coverage", "next_renewal_date", "days_to_renewal",
    "open_tickets",
]  # fmt: skip


class ListClientsInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"health_band": "red", "renewal_within_days": 90, "limit": 25}]
        }
    )

    tier: TierName | None = Field(default=None, description="Only this commercial tier.")
    lifecycle_stage: StageName | None = Field(default=None, description="Only this stage.")
    status: AccountStatusName | None = Field(default=None, description="Only this account status.")
    owner_id: int | None = Field(default=None, ge=1, description="Only this CSM's accounts.")
    health_band: BandName | None = Field(default=None, description="Latest health band.")
    renewal_within_days: int | None = Field(
        default=None, ge=0, le=730, description="Open renewal due within N days from today."
    )
    search: str | None = Field(default=None, max_length=100, description="Name/domain contains.")
    fields: list[ClientField] | None = Field(
        default=None,
        max_length=20,
        description="Compact form: only these row fields, as `columns` + `rows` (arrays).",
    )
    sort: Literal["name", "arr", "health", "renewal"] = Field(
        default="name",
        description="name A–Z; arr highest first; health lowest first; renewal soonest first.",
    )
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="Page size, 1–200.")


class ClientRow(ToolOutput):
    account_id: int
    name: str
    tier: str
    lifecycle_stage: str
    status: str
    arr: Decimal
    currency: str
    arr_reporting: Decimal | None = Field(description="arr in the reporting currency.")
    owner: str | None
    health_score: float | None
    health_band: str
    health_coverage: float | None = Field(
        description="Share of scorecard weight backed by data, 0–1; null when never scored."
    )
    next_renewal_date: date | None
    days_to_renewal: int | None
    open_tickets: int


class PortfolioTotals(ToolOutput):
    accounts: int
    arr_total: Decimal = Field(
        description="ARR over the whole filter in `reporting_currency` (latest rates)."
    )
    reporting_currency: str
    accounts_without_rate: int = Field(
        description="Accounts left out of arr_total: no exchange rate for their currency."
    )
    by_health_band: dict[str, int]


class ListClientsOutput(ToolOutput):
    as_of: AsOf
    clients: list[ClientRow] | None = Field(description="Rows as objects; null with `fields`.")
    columns: list[str] | None = Field(
        default=None, description="With `fields`: account_id, then the fields asked for."
    )
    rows: list[list[AnyScalar]] | None = Field(
        default=None, description="With `fields`: one array per account, in `columns` order."
    )
    totals: PortfolioTotals = Field(description="Over every account matching the filter.")
    page: PageInfo


# --- get_client_timeline -----------------------------------------------------------
TimelineKind = Literal[
    "activity",
    "ticket_opened",
    "ticket_resolved",
    "survey_response",
    "health_change",
    "stage_change",
    "email",
    "cta",
]


class GetClientTimelineInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": 42,
                    "since": "2026-01-01T00:00:00Z",
                    "kinds": ["health_change", "ticket_opened", "stage_change"],
                    "limit": 20,
                }
            ]
        }
    )

    account_id: AccountId
    since: datetime | None = Field(default=None, description="Only events at or after this time.")
    until: datetime | None = Field(default=None, description="Only events at or before this time.")
    kinds: list[TimelineKind] | None = Field(default=None, description="Event kinds to include.")
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="Page size, 1–200.")

    @model_validator(mode="after")
    def _window(self) -> GetClientTimelineInput:
        if self.since and self.until and self.since > self.until:
            raise ValueError("since must not be after until")
        return self


class TimelineEvent(ToolOutput):
    occurred_at: datetime
    kind: str
    title: str
    object_type: str
    object_id: int
    details: dict[str, Any]


class GetClientTimelineOutput(ToolOutput):
    as_of: AsOf
    account_id: int
    events: list[TimelineEvent]
    page: PageInfo
