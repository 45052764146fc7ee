"""Contracts of the retention tools: execute_retention_campaign, monitor_satisfaction,
automate_retention_campaigns (pydantic, flat, documented)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

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
from cs_platform.core.contracts.vocabulary import (
    FieldChange,
    PriorityName,
    RuleMatch,
    SegmentKey,
)
from customers.models import CampaignStatus
from health.tools.segmentation_contracts import RuleCondition

CampaignStatusName = Literal[tuple(CampaignStatus.values)]  # type: ignore[valid-type]


# --- execute_retention_campaign ----------------------------------------------------
class ExecuteRetentionCampaignInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "campaign_name": "Red accounts renewing this quarter",
                    "segment_key": "red-renewing-90d",
                    "cta_title": "Call the executive sponsor before the renewal",
                    "cta_priority": "high",
                    "due_in_days": 7,
                    "dry_run": True,
                }
            ]
        }
    )

    campaign_id: int | None = Field(default=None, ge=1, description="An existing campaign.")
    campaign_name: str | None = Field(
        default=None, min_length=3, max_length=160, description="Create a new campaign."
    )
    account_ids: list[int] | None = Field(
        default=None, min_length=1, max_length=200, description="Accounts to enroll (1–200)."
    )
    segment_key: SegmentKey | None = Field(
        default=None, description="Target the current members of this segment (in your book)."
    )
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
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"days": 90, "only_at_risk": True, "limit": 20}]}
    )

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


# --- automate_retention_campaigns --------------------------------------------------
class AutomateRetentionCampaignsInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "create",
                    "name": "Usage drop rescue",
                    "match": "all",
                    "conditions": [
                        {"field": "usage_trend_pct", "op": "lte", "value": -30},
                        {"field": "tier", "op": "in", "value": ["enterprise", "mid_market"]},
                    ],
                    "cta_title": "Review the usage drop with the champion",
                    "cta_priority": "high",
                    "due_in_days": 5,
                    "status": "active",
                    "idempotency_key": "campaign-usage-drop-rescue",
                }
            ]
        }
    )

    action: Literal["list", "create", "update", "run_now"] = Field(
        description="list | create (trigger rules + CTA) | update (rules, CTA, status) | "
        "run_now (evaluate the rules now; supports dry_run). Writes are for managers."
    )
    campaign_id: int | None = Field(default=None, ge=1, description="update/run_now: which.")
    name: str | None = Field(default=None, min_length=3, max_length=160, description="Name.")
    match: RuleMatch | None = Field(default=None, description="Combine conditions.")
    conditions: list[RuleCondition] | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        description="Trigger: the segment rule language (see segment_customers).",
    )
    cta_title: str | None = Field(default=None, min_length=3, max_length=200, description="CTA.")
    cta_priority: PriorityName | None = Field(default=None, description="CTA priority.")
    due_in_days: int | None = Field(default=None, ge=0, le=365, description="CTA due in N days.")
    status: CampaignStatusName | None = Field(
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
