"""Contracts of the onboarding analysis tools (progress, bottlenecks, time-to-value)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AccountId, AsOf, ToolInput, ToolOutput


class ScopeFields(ToolInput):
    account_id: AccountId | None = Field(default=None, description="Default: your whole book.")
    segment_key: str | None = Field(
        default=None, max_length=60, description="Only accounts now in this segment."
    )


class TrackOnboardingProgressInput(ScopeFields):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "active"}]})

    status: Literal["active", "completed", "all"] = Field(
        default="active", description="Which plans to list."
    )
    limit: int = Field(default=50, ge=1, le=200, description="Plans listed (totals cover all).")


class PlanProgressOut(ToolOutput):
    plan_id: int
    account_id: int
    account: str
    tier: str
    template: str
    status: str
    progress_pct: float
    current_milestone: str | None
    overdue: list[str]
    blocked: list[str]
    days_elapsed: int | None
    target_ttv_days: int | None
    ttv_days: int | None = Field(description="Completed plans: start → completion.")
    on_track: bool = Field(description="No overdue/blocked milestone, done share ≥ time share.")


class TierProgressOut(ToolOutput):
    tier: str
    active_plans: int
    on_track_pct: float | None
    avg_progress_pct: float | None
    plans_completed: int
    ttv_days_median: float | None
    target_days_median: float | None
    within_target_pct: float | None


class BottleneckOut(ToolOutput):
    key: str
    name: str
    completed: int
    median_days: float | None = Field(description="Started → done.")
    p90_days: float | None
    late_pct: float | None = Field(description="Done after its due date.")
    blocked_now: int
    overdue_now: int
    in_progress_now: int


class TrackOnboardingProgressOutput(ToolOutput):
    as_of: AsOf
    plans: list[PlanProgressOut]
    plans_total: int
    by_tier: list[TierProgressOut]
    bottlenecks: list[BottleneckOut] = Field(description="Top 5, slowest first.")


class OptimizeOnboardingProcessInput(ScopeFields):
    model_config = ConfigDict(json_schema_extra={"examples": [{"template": "standard"}]})

    template: str | None = Field(default=None, max_length=80, description="Only this template.")
    days: int = Field(default=365, ge=7, le=1825, description="Plans started in the last N days.")


class FindingOut(ToolOutput):
    milestone: str
    finding: str = Field(description="slowest, most_late, most_blocked or most_overdue.")
    value: float


class OptimizeOnboardingProcessOutput(ToolOutput):
    as_of: AsOf
    plans: int
    milestones: list[BottleneckOut]
    findings: list[FindingOut] = Field(description="Computed from the table, not advice.")
    stalled_plans: int


class OptimizeTimeToValueInput(ScopeFields):
    model_config = ConfigDict(json_schema_extra={"examples": [{"target_days": 45}]})

    target_days: int | None = Field(
        default=None, ge=1, le=730, description="Judge against this; default each plan's target."
    )
    days: int = Field(default=730, ge=30, le=1825, description="Plans started in the last N days.")


class AccountTtvOut(ToolOutput):
    account_id: int
    account: str
    tier: str
    status: str
    started_on: date | None
    ttv_days: int | None
    days_elapsed: int | None
    target_days: int | None
    over_target_days: int | None = Field(description="Positive: late by this many days.")


class OptimizeTimeToValueOutput(ToolOutput):
    as_of: AsOf
    overall: TierProgressOut
    by_tier: list[TierProgressOut]
    furthest_over_target: list[AccountTtvOut] = Field(description="Top 10, completed or active.")
