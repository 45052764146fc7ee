"""Contracts of the onboarding and training tools."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from cs_platform.core.contracts import AccountId, AsOf, IdempotencyKey, ToolInput, ToolOutput
from customers.models import MilestoneStatus

Id = Annotated[int, Field(ge=1)]
Key = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[-a-z0-9_]+$")]
MilestoneStatusName = Literal[tuple(MilestoneStatus.values)]  # type: ignore[valid-type]


class TemplateMilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: Key
    name: str = Field(min_length=1, max_length=160)
    due_offset_days: int = Field(ge=0, le=730)
    owner: Literal["csm", "customer"] = "csm"
    depends_on: list[Key] = Field(default_factory=list, max_length=20)


class MilestoneOut(ToolOutput):
    id: int
    key: str
    name: str
    status: str
    due_date: date | None
    owner: str | None = Field(description="CSM username or 'contact:<id>'.")
    depends_on: list[str]
    started_at: datetime | None
    completed_at: datetime | None


class PlanOut(ToolOutput):
    id: int
    account_id: int
    template: str
    status: str
    started_on: date | None
    target_date: date | None
    completed_on: date | None
    target_ttv_days: int | None
    progress_pct: float
    overdue: list[str]
    automation_enabled: bool
    milestones: list[MilestoneOut]


class TemplateOut(ToolOutput):
    key: str
    name: str
    tier: str
    target_ttv_days: int
    milestones: list[str] = Field(description="Keys in order.")


class CreateOnboardingPlanInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"action": "create", "account_id": 42, "template_key": "standard"}]
        }
    )

    action: Literal["templates", "create_template", "create", "get", "update_milestone"] = Field(
        description="create: plan from a template; update_milestone: move one milestone."
    )
    account_id: AccountId | None = Field(default=None, description="create.")
    template_key: Key | None = Field(default=None, description="create/create_template.")
    start_date: date | None = Field(default=None, description="create: default today.")
    plan_id: Id | None = Field(default=None, description="get.")
    milestone_id: Id | None = Field(default=None, description="update_milestone.")
    status: MilestoneStatusName | None = Field(default=None, description="update_milestone.")
    name: str | None = Field(default=None, max_length=160, description="create_template.")
    target_ttv_days: int | None = Field(default=None, ge=1, le=730, description="create_template.")
    milestones: list[TemplateMilestoneIn] | None = Field(
        default=None, max_length=40, description="create_template: in order; depends_on earlier."
    )
    idempotency_key: IdempotencyKey


class CreateOnboardingPlanOutput(ToolOutput):
    as_of: AsOf
    action: str
    plan: PlanOut | None
    templates: list[TemplateOut]
    changed: list[str]


class ReminderOut(ToolOutput):
    milestone: str
    kind: str
    window: date
    recipient: str | None
    cta_id: int | None
    sent_at: datetime


class ActivateOnboardingAutomationInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"action": "enable", "plan_id": 7, "remind_days_before": 3}]
        }
    )

    action: Literal["enable", "disable", "status", "run_now"] = Field(
        description="run_now: this plan's due reminders now (the hourly task does it too)."
    )
    plan_id: Id = Field(description="The onboarding plan.")
    remind_days_before: int | None = Field(default=None, ge=0, le=30, description="enable.")
    escalate_days_overdue: int | None = Field(default=None, ge=0, le=60, description="enable.")


class ActivateOnboardingAutomationOutput(ToolOutput):
    as_of: AsOf
    action: str
    plan_id: int
    automation_enabled: bool
    remind_days_before: int
    escalate_days_overdue: int
    reminders: list[ReminderOut] = Field(description="Sent so far, newest first.")
    created: int = Field(description="run_now: reminders sent by this call.")
    changed: list[str]


class AttendeeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact_id: Id
    score: int | None = Field(default=None, ge=0, le=100)


class AttendanceOut(ToolOutput):
    contact_id: int
    status: str
    score: int | None


class SessionOut(ToolOutput):
    id: int
    account_id: int
    module: str
    scheduled_at: datetime
    duration_minutes: int
    status: str
    trainer: str | None
    attendance: list[AttendanceOut]
    attended: int
    registered: int


class DeliverTrainingSessionInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "action": "schedule",
                    "account_id": 42,
                    "module_key": "admin-basics",
                    "scheduled_at": "2026-03-09T15:00:00Z",
                    "contact_ids": [7, 8],
                }
            ]
        }
    )

    action: Literal["schedule", "record_attendance", "cancel", "get", "list"] = Field(
        description="record_attendance: mark delivered; attendees get the module completed."
    )
    account_id: AccountId | None = Field(default=None, description="schedule; list filter.")
    module_key: Key | None = Field(default=None, description="schedule.")
    scheduled_at: datetime | None = Field(default=None, description="schedule.")
    duration_minutes: int | None = Field(default=None, ge=5, le=600, description="schedule.")
    contact_ids: list[Id] | None = Field(default=None, max_length=200, description="Registered.")
    session_id: Id | None = Field(default=None, description="record_attendance/cancel/get.")
    attended: list[AttendeeIn] | None = Field(default=None, max_length=200, description="Who came.")
    no_show_contact_ids: list[Id] | None = Field(
        default=None, max_length=200, description="No-shows."
    )
    limit: int = Field(default=20, ge=1, le=100, description="list.")
    idempotency_key: IdempotencyKey


class DeliverTrainingSessionOutput(ToolOutput):
    as_of: AsOf
    action: str
    sessions: list[SessionOut]
    changed: list[str]


class CertificationOut(ToolOutput):
    contact_id: int
    account_id: int
    module: str
    state: str = Field(description="active, expiring (≤ 30 days), expired, revoked or none.")
    score: int | None
    certified_at: datetime | None
    expires_at: datetime | None


class ManageCertificationProgramInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"action": "issue", "contact_id": 7, "module_key": "admin-basics"}]
        }
    )

    action: Literal["issue", "revoke", "list"] = Field(
        description="issue (or renew) needs the module completed; list: by account/contact."
    )
    contact_id: Id | None = Field(default=None, description="issue/revoke; list filter.")
    account_id: AccountId | None = Field(default=None, description="list filter.")
    module_key: Key | None = Field(default=None, description="issue/revoke.")
    valid_days: int = Field(default=365, ge=1, le=1825, description="issue: validity.")


class ManageCertificationProgramOutput(ToolOutput):
    as_of: AsOf
    action: str
    certifications: list[CertificationOut]
    counts: dict[str, int] = Field(description="list: certifications by state.")
    changed: list[str]
