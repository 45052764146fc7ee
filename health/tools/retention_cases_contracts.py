"""Contracts of the retention case tools: manage_escalations, analyze_churn_postmortem
(pydantic, flat, documented)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from cs_platform.core.contracts import (
    AsOf,
    Cursor,
    IdempotencyKey,
    Limit,
    PageInfo,
    ToolInput,
    ToolOutput,
)
from cs_platform.core.contracts.vocabulary import FieldChange, PriorityName
from customers.models import EscalationStatus

EscalationStatusName = Literal[tuple(EscalationStatus.values)]  # type: ignore[valid-type]


# --- manage_escalations ------------------------------------------------------------
class ManageEscalationsInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "create",
                    "account_id": 42,
                    "severity": "high",
                    "summary": "Nightly export has failed three days running",
                    "idempotency_key": "escalation-42-export",
                }
            ]
        }
    )

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
    status: EscalationStatusName | None = Field(
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
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"since": "2025-09-01", "window_days": 90, "limit": 20}]}
    )

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
    arr_lost: Decimal = Field(description="In the reporting currency (latest rates).")
    signal_counts: dict[str, int] = Field(description="Accounts showing each signal.")
    with_no_signal: int


class AnalyzeChurnPostmortemOutput(ToolOutput):
    as_of: AsOf
    window_days: int
    summary: PostmortemSummary
    accounts: list[ChurnSignals]
    page: PageInfo
