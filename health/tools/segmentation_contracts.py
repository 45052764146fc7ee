"""Contracts of the segmentation tools: segment_customers, manage_lifecycle_stages,
segment_by_value_tier (pydantic, flat, documented)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
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
    RuleMatch,
    SegmentKey,
    StageName,
)
from health.selectors.segment_rules import RULE_FIELDS, RULE_OPS


# --- segment_customers -------------------------------------------------------------
class RuleCondition(ToolInput):
    field: Literal[RULE_FIELDS] = Field(  # type: ignore[valid-type]
        description="Account attribute or computed metric the condition tests."
    )
    op: Literal[RULE_OPS] = Field(  # type: ignore[valid-type]
        description="eq, neq, in, not_in (text); eq, neq, gt, gte, lt, lte, between (numbers); "
        "is_missing, is_present (metrics)."
    )
    value: str | int | float | list[str | int | float] | None = Field(
        default=None,
        description="A string, a number, a list for in/not_in, [low, high] for between; "
        "omit for is_missing/is_present.",
    )


SegmentAction = Literal["list", "get", "members", "create", "update", "evaluate"]


class SegmentCustomersInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "create",
                    "segment_key": "red-renewing-90d",
                    "name": "Red, renewing within 90 days",
                    "match": "all",
                    "conditions": [
                        {"field": "health_band", "op": "eq", "value": "red"},
                        {"field": "days_to_renewal", "op": "between", "value": [0, 90]},
                    ],
                    "idempotency_key": "segment-red-renewing-90d",
                }
            ]
        }
    )

    action: SegmentAction = Field(
        description="list segments | get one | members (current or history) | create | "
        "update | evaluate (recompute membership). create/update/evaluate are for managers."
    )
    segment_key: SegmentKey | None = Field(
        default=None, description="Segment key (lowercase slug, see segment_customers action=list)."
    )
    name: str | None = Field(default=None, max_length=160, description="Segment name (create).")
    description: str | None = Field(default=None, max_length=2000, description="What it is for.")
    match: RuleMatch | None = Field(
        default=None, description="Combine conditions with AND (all) or OR (any)."
    )
    conditions: list[RuleCondition] | None = Field(
        default=None, min_length=1, max_length=20, description="1–20 rule conditions."
    )
    is_active: bool | None = Field(
        default=None, description="update: deactivate (false) or reactivate (true)."
    )
    evaluate: bool = Field(
        default=True, description="create/update: evaluate membership right away."
    )
    include_exited: bool = Field(
        default=False, description="members: include past stays (rows with exited_at)."
    )
    include_inactive: bool = Field(default=False, description="list: include inactive segments.")
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="Page size, 1–200.")
    dry_run: DryRun
    idempotency_key: IdempotencyKey

    @model_validator(mode="after")
    def _needs(self) -> SegmentCustomersInput:
        if self.action in ("get", "members", "update", "evaluate") and not self.segment_key:
            raise ValueError(f"segment_key is required for action={self.action}")
        if self.action == "create" and not (self.name and self.conditions):
            raise ValueError("create needs name and conditions")
        return self


class SegmentRow(ToolOutput):
    key: str
    name: str
    description: str
    rules: dict[str, Any]
    is_active: bool
    evaluated_at: datetime | None
    members_in_scope: int = Field(description="Current members among the accounts you can see.")


class MemberRow(ToolOutput):
    membership_id: int
    account_id: int
    name: str
    tier: str
    entered_at: datetime
    exited_at: datetime | None


class EvaluationCounts(ToolOutput):
    entered: int
    exited: int
    current: int


class SegmentCustomersOutput(ToolOutput):
    as_of: AsOf
    action: str
    dry_run: bool
    segment: SegmentRow | None = None
    segments: list[SegmentRow] = Field(default_factory=list)
    members: list[MemberRow] = Field(default_factory=list)
    evaluation: EvaluationCounts | None = None
    changed: list[FieldChange] = Field(default_factory=list)
    page: PageInfo | None = None


# --- manage_lifecycle_stages -------------------------------------------------------
class ManageLifecycleStagesInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "move",
                    "account_id": 42,
                    "to_stage": "at_risk",
                    "reason": "Sponsor left; weekly active users down 40% in a month",
                    "idempotency_key": "stage-42-at-risk",
                }
            ]
        }
    )

    action: Literal["distribution", "history", "move"] = Field(
        description="distribution (accounts, ARR and time per stage) | history (one "
        "account's stage changes) | move (change an account's stage, reason required)."
    )
    account_id: int | None = Field(
        default=None, ge=1, description="history/move: the account (from list_clients)."
    )
    to_stage: StageName | None = Field(default=None, description="move: the new stage.")
    reason: str | None = Field(
        default=None, min_length=3, max_length=300, description="move: why (kept in history)."
    )
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="history page size, 1–200.")
    idempotency_key: IdempotencyKey

    @model_validator(mode="after")
    def _needs(self) -> ManageLifecycleStagesInput:
        if self.action in ("history", "move") and self.account_id is None:
            raise ValueError(f"account_id is required for action={self.action}")
        if self.action == "move" and not (self.to_stage and self.reason):
            raise ValueError("move needs to_stage and reason")
        return self


class StageCount(ToolOutput):
    stage: str
    accounts: int
    arr_total: Decimal = Field(description="In the reporting currency (latest rates).")
    avg_days_in_stage: float | None = Field(
        description="Mean days since each account entered its stage (from stage history)."
    )
    entered_last_30d: int


class StageFlow(ToolOutput):
    from_stage: str
    to_stage: str
    moves: int


class StageChangeRow(ToolOutput):
    id: int
    account_id: int
    from_stage: str
    to_stage: str
    changed_at: datetime
    reason: str
    changed_by: str | None


class ManageLifecycleStagesOutput(ToolOutput):
    as_of: AsOf
    action: str
    distribution: list[StageCount] = Field(default_factory=list)
    flows_last_30d: list[StageFlow] = Field(default_factory=list)
    change: StageChangeRow | None = None
    history: list[StageChangeRow] = Field(default_factory=list)
    page: PageInfo | None = None


# --- segment_by_value_tier ---------------------------------------------------------
class SegmentByValueTierInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"boundaries": [25000, 100000], "labels": ["Small", "Mid", "Large"], "list_tier": 2}
            ]
        }
    )

    boundaries: list[Decimal] = Field(
        default=[Decimal("10000"), Decimal("50000"), Decimal("100000")],
        min_length=1,
        max_length=10,
        description="ARR boundaries, strictly ascending and ≥ 0; N boundaries make N+1 tiers "
        "(tier i holds boundaries[i-1] ≤ ARR < boundaries[i]).",
    )
    labels: list[str] | None = Field(
        default=None, description="Optional tier names, one per tier (len(boundaries) + 1)."
    )
    include_churned: bool = Field(default=False, description="Count churned accounts too.")
    list_tier: int | None = Field(
        default=None, ge=0, le=10, description="List the accounts of this tier index (paged)."
    )
    cursor: Cursor
    limit: Limit = Field(default=50, ge=1, le=200, description="Accounts per page, 1–200.")

    @model_validator(mode="after")
    def _ordered(self) -> SegmentByValueTierInput:
        b = self.boundaries
        if any(x < 0 for x in b) or any(b[i] >= b[i + 1] for i in range(len(b) - 1)):
            raise ValueError("boundaries must be ≥ 0 and strictly ascending")
        if self.labels is not None and len(self.labels) != len(b) + 1:
            raise ValueError(f"labels needs {len(b) + 1} names, one per tier")
        if self.list_tier is not None and self.list_tier > len(b):
            raise ValueError(f"list_tier must be 0–{len(b)}")
        return self


class TierRow(ToolOutput):
    index: int
    label: str
    arr_min: Decimal | None = Field(description="Inclusive lower bound; null for the first.")
    arr_max: Decimal | None = Field(description="Exclusive upper bound; null for the last.")
    accounts: int
    arr_total: Decimal
    avg_health_score: float | None = Field(description="Over accounts with a scored snapshot.")
    scored_accounts: int
    health_bands: dict[str, int]


class TierAccountRow(ToolOutput):
    account_id: int
    name: str
    arr: Decimal
    currency: str
    arr_reporting: Decimal = Field(description="arr in the reporting currency.")
    health_score: float | None
    health_band: str


class SegmentByValueTierOutput(ToolOutput):
    as_of: AsOf
    tiers: list[TierRow]
    reporting_currency: str = Field(description="Boundaries and totals are in this currency.")
    accounts_without_rate: int = Field(
        description="Accounts in no tier: no exchange rate for their currency."
    )
    accounts: list[TierAccountRow] = Field(default_factory=list)
    page: PageInfo | None = None
