"""Contracts of the retention tools (pydantic, flat, documented)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, model_validator

from cs_platform.core.contracts import (
    AsOf,
    Cursor,
    DryRun,
    IdempotencyKey,
    Limit,
    PageInfo,
    ToolInput,
    ToolOutput,
)
from health.tool_contracts_segments import FieldChange, RuleCondition

PriorityName = Literal["low", "medium", "high", "urgent"]
SEGMENT_KEY = {
    "min_length": 1,
    "max_length": 60,
    "pattern": r"^[-a-z0-9_]+$",
    "description": "Target the current members of this segment (in your book).",
}


# --- execute_retention_campaign ----------------------------------------------------
class ExecuteRetentionCampaignInput(ToolInput):
    campaign_id: int | None = Field(default=None, ge=1, description="An existing campaign.")
    campaign_name: str | None = Field(
        default=None, min_length=3, max_length=160, description="Create a new campaign."
    )
    account_ids: list[int] | None = Field(
        default=None, min_length=1, max_length=200, description="Accounts to enroll (1–200)."
    )
    segment_key: str | None = Field(default=None, **SEGMENT_KEY)
    cta_title: str | None = Field(
        default=None, min_length=3, max_length=200, description="New campaign: CTA title."
    )
    cta_priority: PriorityName = Field(default="high", description="New campaign: CTA priority.")
    due_in_days: int = Field(
        default=7, ge=0, le=365, description="New campaign: CTA due in N days."
    )
    dry_run: DryRun
    idempotency_key: IdempotencyKey

    @model_validator(mode="after")
    def _targets(self) -> ExecuteRetentionCampaignInput:
        if (self.campaign_id is None) == (self.campaign_name is None):
            raise ValueError("give exactly one of campaign_id or campaign_name")
        if (self.account_ids is None) == (self.segment_key is None):
            raise ValueError("give exactly one of account_ids or segment_key")
        return self


class ExecuteRetentionCampaignOutput(ToolOutput):
    as_of: AsOf
    dry_run: bool
    campaign_id: int
    campaign_name: str
    campaign_created: bool
    accounts_targeted: int
    enrolled_new: int
    reactivated: int = Field(description="Accounts that had exited and were enrolled again.")
    already_active: int
    ctas_created: int
    ctas_updated: int


# --- monitor_satisfaction ----------------------------------------------------------
class MonitorSatisfactionInput(ToolInput):
    account_id: int | None = Field(default=None, ge=1, description="One account; omit for all.")
    days: int = Field(default=90, ge=1, le=730, description="Window: answers in the last N days.")
    only_at_risk: bool = Field(
        default=False, description="accounts: only those with a detractor or a CSAT ≤ 2."
    )
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="Accounts per page, 1–200.")


class SatisfactionBlock(ToolOutput):
    nps: float | None
    nps_responses: int
    promoters: int
    passives: int
    detractors: int
    nps_answer_avg: float | None = Field(description="Mean 0–10 answer (not the NPS).")
    csat_avg: float | None
    csat_responses: int
    csat_satisfied_pct: float | None
    csat_low_answers: int
    ces_avg: float | None
    ces_responses: int
    ces_easy_pct: float | None
    last_response_at: datetime | None


class MonthlySatisfaction(SatisfactionBlock):
    month: date


class AccountSatisfaction(SatisfactionBlock):
    account_id: int
    name: str
    lowest_nps_answer: int | None


class MonitorSatisfactionOutput(ToolOutput):
    as_of: AsOf
    since: datetime
    definitions: dict[str, str]
    overall: SatisfactionBlock
    monthly: list[MonthlySatisfaction]
    accounts: list[AccountSatisfaction]
    missing: list[str]
    page: PageInfo


# --- manage_escalations ------------------------------------------------------------
class ManageEscalationsInput(ToolInput):
    action: Literal["list", "get", "create", "update"] = Field(
        description="list | get one | create (opens with an SLA from severity) | update "
        "(status acknowledged/resolved/open, severity, summary, owner)."
    )
    escalation_id: int | None = Field(default=None, ge=1, description="get/update: which one.")
    account_id: int | None = Field(
        default=None, ge=1, description="create: the account; list: filter by account."
    )
    severity: PriorityName | None = Field(
        default=None, description="create/update: low, medium, high or urgent (sets the SLA)."
    )
    summary: str | None = Field(default=None, min_length=3, max_length=300, description="What.")
    status: Literal["open", "acknowledged", "resolved"] | None = Field(
        default=None, description="update: new status; list: filter by status."
    )
    owner_id: int | None = Field(default=None, ge=1, description="Owner user id.")
    ticket_id: int | None = Field(default=None, ge=1, description="create: related ticket.")
    cta_id: int | None = Field(default=None, ge=1, description="create: related CTA.")
    sla_hours: int | None = Field(
        default=None, ge=1, le=2160, description="Override the severity's SLA, in hours."
    )
    only_breached: bool = Field(default=False, description="list: only SLA-breached ones.")
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="Page size, 1–200.")
    idempotency_key: IdempotencyKey

    @model_validator(mode="after")
    def _needs(self) -> ManageEscalationsInput:
        if self.action in ("get", "update") and self.escalation_id is None:
            raise ValueError(f"escalation_id is required for action={self.action}")
        if self.action == "create" and not (self.account_id and self.severity and self.summary):
            raise ValueError("create needs account_id, severity and summary")
        return self


class EscalationRow(ToolOutput):
    id: int
    account_id: int
    account_name: str
    severity: str
    status: str
    summary: str
    owner: str | None
    ticket_id: int | None
    cta_id: int | None
    opened_at: datetime
    sla_due_at: datetime
    resolved_at: datetime | None
    sla_breached: bool = Field(description="Resolved after, or still open past, sla_due_at.")
    hours_to_sla: float | None = Field(description="Hours left (negative: overdue); null if done.")


class ManageEscalationsOutput(ToolOutput):
    as_of: AsOf
    action: str
    sla_policy_hours: dict[str, int]
    escalation: EscalationRow | None = None
    escalations: list[EscalationRow] = Field(default_factory=list)
    changed: list[FieldChange] = Field(default_factory=list)
    page: PageInfo | None = None


# --- analyze_churn_postmortem ------------------------------------------------------
class AnalyzeChurnPostmortemInput(ToolInput):
    since: date | None = Field(default=None, description="Only accounts churned on/after this.")
    until: date | None = Field(default=None, description="Only accounts churned on/before this.")
    window_days: int = Field(
        default=90, ge=30, le=365, description="Signals in this many days before churned_on."
    )
    usage_decline_pct: float = Field(
        default=20, ge=1, le=100, description="A usage drop of at least this % counts as a signal."
    )
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="Accounts per page, 1–200.")

    @model_validator(mode="after")
    def _window(self) -> AnalyzeChurnPostmortemInput:
        if self.since and self.until and self.since > self.until:
            raise ValueError("since must not be after until")
        return self


class ChurnSignals(ToolOutput):
    account_id: int
    name: str
    churned_on: date
    arr: Decimal
    usage_trend_pct: float | None = Field(
        description="Active-user days in the 30 days before churn vs the 30 before that."
    )
    avg_dau_before_churn: float | None
    last_active_date: date | None
    tickets_opened: int
    urgent_or_high_tickets: int
    sla_breached_tickets: int
    nps_answers: int
    detractor_answers: int
    nps_answer_avg: float | None
    csat_avg: float | None
    health_band_at_churn: str | None
    health_score_at_churn: float | None
    churn_probability_before: float | None = Field(
        description="Latest prediction made before churned_on (did we see it coming?)."
    )
    ctas_raised: int
    renewal_outcome: str | None
    signals: list[str] = Field(description="Which warning signals were present.")
    missing: list[str]


class PostmortemSummary(ToolOutput):
    churned_accounts: int
    arr_lost: Decimal
    signal_counts: dict[str, int] = Field(description="Accounts showing each signal.")
    with_no_signal: int


class AnalyzeChurnPostmortemOutput(ToolOutput):
    as_of: AsOf
    window_days: int
    summary: PostmortemSummary
    accounts: list[ChurnSignals]
    page: PageInfo


# --- automate_retention_campaigns --------------------------------------------------
class AutomateRetentionCampaignsInput(ToolInput):
    action: Literal["list", "create", "update", "run_now"] = Field(
        description="list | create (trigger rules + CTA) | update (rules, CTA, status) | "
        "run_now (evaluate the rules now; supports dry_run). Writes are for managers."
    )
    campaign_id: int | None = Field(default=None, ge=1, description="update/run_now: which.")
    name: str | None = Field(default=None, min_length=3, max_length=160, description="Name.")
    match: Literal["all", "any"] | None = Field(default=None, description="Combine conditions.")
    conditions: list[RuleCondition] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="Trigger: the segment rule language (see segment_customers).",
    )
    cta_title: str | None = Field(default=None, min_length=3, max_length=200, description="CTA.")
    cta_priority: PriorityName | None = Field(default=None, description="CTA priority.")
    due_in_days: int | None = Field(default=None, ge=0, le=365, description="CTA due in N days.")
    status: Literal["draft", "active", "paused", "finished"] | None = Field(
        default=None, description="create/update: only active campaigns are evaluated."
    )
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="Page size, 1–200.")
    dry_run: DryRun
    idempotency_key: IdempotencyKey

    @model_validator(mode="after")
    def _needs(self) -> AutomateRetentionCampaignsInput:
        if self.action in ("update", "run_now") and self.campaign_id is None:
            raise ValueError(f"campaign_id is required for action={self.action}")
        if self.action == "create" and not (self.name and self.conditions and self.cta_title):
            raise ValueError("create needs name, conditions and cta_title")
        return self


class CampaignRow(ToolOutput):
    id: int
    name: str
    status: str
    trigger_rules: dict[str, Any]
    actions: list[dict[str, Any]]
    active_enrollments_in_scope: int
    created_at: datetime


class CampaignEvaluation(ToolOutput):
    matched: int
    exited: int
    targeted: int
    enrolled_new: int
    reactivated: int
    already_active: int
    ctas_created: int
    ctas_updated: int


class AutomateRetentionCampaignsOutput(ToolOutput):
    as_of: AsOf
    action: str
    dry_run: bool
    campaign: CampaignRow | None = None
    campaigns: list[CampaignRow] = Field(default_factory=list)
    changed: list[FieldChange] = Field(default_factory=list)
    evaluation: CampaignEvaluation | None = None
    page: PageInfo | None = None
