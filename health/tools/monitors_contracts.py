"""Contracts of the monitor controls: list_available_workers, get_worker_config,
configure_autonomous_worker, trigger_worker_now, get_autonomous_status."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import AsOf, ToolInput, ToolOutput
from cs_platform.core.contracts.vocabulary import FieldChange, ScalarOrList
from health.models import MonitorKey

MonitorKeyName = Literal[tuple(MonitorKey.values)]  # type: ignore[valid-type]
WorkerKey = Field(description="Monitor key (see list_available_workers).")


class RunRow(ToolOutput):
    run_id: int
    status: str = Field(description="queued, running, succeeded or failed.")
    trigger: str = Field(description="schedule or manual.")
    started_at: datetime
    finished_at: datetime | None
    accounts_scanned: int
    findings: int
    ctas_created: int
    error: str | None


class WorkerRow(ToolOutput):
    key: str
    name: str
    implemented: bool = Field(description="False: no scan exists for it yet; it never runs.")
    description: str | None
    cta_reason: str | None
    enabled: bool | None
    interval_minutes: int | None
    last_run_at: datetime | None
    next_due_at: datetime | None = Field(
        description="last_run_at + interval (beat looks every 10 min)."
    )


class ThresholdRow(ToolOutput):
    name: str
    value: ScalarOrList
    default: ScalarOrList
    help: str
    minimum: float | None
    maximum: float | None
    choices: list[str] | None


# --- list_available_workers ----------------------------------------------------------
class ListAvailableWorkersInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"implemented_only": False}]})

    implemented_only: bool = Field(default=False, description="Leave out monitors without a scan.")


class ListAvailableWorkersOutput(ToolOutput):
    as_of: AsOf
    workers: list[WorkerRow]


# --- get_worker_config -------------------------------------------------------------
class GetWorkerConfigInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"key": "upsell_detector"}]})

    key: MonitorKeyName = WorkerKey


class GetWorkerConfigOutput(ToolOutput):
    as_of: AsOf
    worker: WorkerRow
    thresholds: list[ThresholdRow]
    recent_runs: list[RunRow] = Field(description="The 5 latest runs, newest first.")


# --- configure_autonomous_worker -----------------------------------------------------
class ConfigureAutonomousWorkerInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "upsell_detector",
                    "interval_minutes": 720,
                    "thresholds": {"seat_expansion_pct": 90.0},
                }
            ]
        }
    )

    key: MonitorKeyName = WorkerKey
    enabled: bool | None = Field(default=None, description="Scheduled runs on or off.")
    interval_minutes: int | None = Field(
        default=None, ge=5, le=10080, description="Minutes between runs."
    )
    thresholds: dict[str, Any] | None = Field(
        default=None,
        description="Values by name (see get_worker_config), merged over the stored ones.",
    )


class ConfigureAutonomousWorkerOutput(ToolOutput):
    as_of: AsOf
    changed: list[FieldChange]
    worker: WorkerRow
    thresholds: list[ThresholdRow]


# --- trigger_worker_now ------------------------------------------------------------
class TriggerWorkerNowInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"key": "retention_analyzer"}]})

    key: MonitorKeyName = WorkerKey


class TriggerWorkerNowOutput(ToolOutput):
    as_of: AsOf
    key: str
    run_id: int = Field(description="The MonitorRun; poll get_autonomous_status(run_id=…).")
    status: str
    already_queued: bool = Field(description="True: a manual run was already waiting; no new one.")


# --- get_autonomous_status -----------------------------------------------------------
class GetAutonomousStatusInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"key": "upsell_detector", "run_id": 42}]}
    )

    key: MonitorKeyName | None = Field(default=None, description="One monitor; omit for all.")
    run_id: int | None = Field(default=None, ge=1, description="Also return this run in full.")


class WorkerStatus(ToolOutput):
    key: str
    implemented: bool
    enabled: bool | None
    last_run: RunRow | None
    runs_last_24h: int
    failed_last_24h: int
    queued: int
    open_ctas_in_scope: int = Field(description="Open CTAs this monitor raised, in your book.")
    next_due_at: datetime | None


class GetAutonomousStatusOutput(ToolOutput):
    as_of: AsOf
    monitors: list[WorkerStatus]
    run: dict[str, Any] | None = Field(description="The run asked for, with its details.")
