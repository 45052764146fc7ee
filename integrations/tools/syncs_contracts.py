"""Input and output contracts of the sync tools: trigger_sync, get_sync_status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from cs_platform.core.contracts import (
    AsOf,
    Cursor,
    IdempotencyKey,
    PageInfo,
    ToolInput,
    ToolOutput,
)

STREAM_NAMES = (
    "Zendesk: organizations, tickets; Intercom: contacts, conversations; Mixpanel: events"
)


class SyncRunOut(ToolOutput):
    id: int
    connection_id: int
    stream: str = Field(description="Stream synced; `all` = every stream of the provider.")
    status: str = Field(description="queued, running, succeeded, partial or failed.")
    trigger: str = Field(description="schedule, manual or cli.")
    full_resync: bool
    task_id: str = Field(description="Celery task id of the run (empty for CLI runs).")
    started_at: datetime = Field(description="When it started (when queued, while queued).")
    finished_at: datetime | None
    heartbeat_at: datetime | None
    fetched: int = Field(description="Records read from the provider.")
    created: int = Field(description="Rows created (Mixpanel: daily usage rows).")
    updated: int = Field(description="Rows changed; unchanged re-reads are not counted.")
    unmatched: int = Field(description="Records matching no account (Mixpanel: events).")
    failed: int = Field(description="Records rejected as invalid.")
    error_code: str = Field(description="Empty unless failed, e.g. provider_server_error.")
    error_message: str
    cursor_before: dict[str, Any] | None = Field(description="Stream cursors at the start.")
    cursor_after: dict[str, Any] | None = Field(description="Stream cursors after commit.")
    unmatched_samples: list[dict[str, Any]] = Field(
        description="Up to 25 unmatched or invalid records with the reason."
    )


# --- trigger_sync -------------------------------------------------------------------
class TriggerSyncInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"connection_id": 3, "idempotency_key": "sync-3-after-import"}]
        }
    )

    connection_id: int = Field(ge=1, description="Connection id (from get_sync_status).")
    stream: str | None = Field(
        default=None,
        max_length=40,
        description=f"One stream ({STREAM_NAMES}); omit for all streams of the provider.",
    )
    full_resync: bool = Field(
        default=False,
        description="Start from the beginning instead of the stored cursors (idempotent).",
    )
    idempotency_key: IdempotencyKey


class TriggerSyncOutput(ToolOutput):
    as_of: AsOf
    queued: bool = Field(description="True when this call queued a new run.")
    run: SyncRunOut = Field(description="The queued run, or the one already queued/running.")


# --- get_sync_status ----------------------------------------------------------------
class GetSyncStatusInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"connection_id": 3, "runs": 3}]})

    connection_id: int | None = Field(
        default=None, ge=1, description="Only this connection; omit for all connections."
    )
    runs: int = Field(default=5, ge=1, le=20, description="Recent runs per connection, 1–20.")
    cursor: Cursor
    limit: int = Field(default=20, ge=1, le=100, description="Connections per page, 1–100.")


class BreakerOut(ToolOutput):
    provider: str
    state: str = Field(description="closed, open or half-open.")
    failures: int
    fail_max: int
    reset_timeout: float
    opened_at: datetime | None
    shared: bool = Field(description="True when the state is shared through Redis.")


class ConnectionStatus(ToolOutput):
    id: int
    provider: str
    name: str
    base_url: str
    enabled: bool
    sync_interval_minutes: int
    last_synced_at: datetime | None
    next_due_at: datetime | None = Field(
        description="When the schedule next queues a sync; null if disabled or not synced."
    )
    cursors: dict[str, Any] = Field(description="Committed cursor per stream.")
    active_run: SyncRunOut | None = Field(description="The queued or running run, if any.")
    runs: list[SyncRunOut] = Field(description="Most recent runs first.")


class GetSyncStatusOutput(ToolOutput):
    as_of: AsOf
    connections: list[ConnectionStatus]
    breakers: list[BreakerOut] = Field(description="Circuit breaker per provider listed.")
    page: PageInfo
