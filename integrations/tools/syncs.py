"""Sync tools: trigger a provider sync, read sync status. Thin: parse → service → shape."""

from __future__ import annotations

from cs_platform.core.contracts import PageInfo, cursor_decode, cursor_encode
from cs_platform.core.errors import NotFound, PermissionDenied
from cs_platform.core.models import Role
from cs_platform.core.tools import ToolContext, tool
from integrations import resilience
from integrations.models import ACTIVE_SYNC_STATUSES
from integrations.selectors.syncs import (
    connection_next_due_at,
    connection_status_page,
    sync_run_get,
)
from integrations.services.syncs import sync_run_enqueue
from integrations.tasks import sync_enqueue_on_commit
from integrations.tools.syncs_contracts import (
    BreakerOut,
    ConnectionStatus,
    GetSyncStatusInput,
    GetSyncStatusOutput,
    SyncRunOut,
    TriggerSyncInput,
    TriggerSyncOutput,
)


@tool(permission="write", read_only=False, idempotent=True)
def trigger_sync(ctx: ToolContext, params: TriggerSyncInput) -> TriggerSyncOutput:
    """Queue a sync of one provider connection now (CS managers only).

    Pulls what changed since the stored cursors (or everything with `full_resync`) for
    one stream or all streams of the connection, in the background. A connection never
    has two syncs at once: when one is already queued or running, that run is returned
    with `queued: false` instead of starting another. Follow it with get_sync_status.
    """
    if ctx.actor.role != Role.MANAGER and not ctx.actor.user.is_superuser:
        raise PermissionDenied(
            "only CS managers may trigger provider syncs", details={"tool": "trigger_sync"}
        )
    run, created = sync_run_enqueue(
        connection_id=params.connection_id,
        stream=params.stream,
        full_resync=params.full_resync,
        trigger="manual",
    )
    if created:
        sync_enqueue_on_commit(
            run.pk, run.task_id, run.connection_id, run.stream, run.full_resync, "manual"
        )
    ctx.audit(run, changes={"queued": created, "run_id": run.pk})
    return TriggerSyncOutput(
        as_of=ctx.now, queued=created, run=SyncRunOut.model_validate(sync_run_get(run.pk))
    )


@tool(permission="read", read_only=True)
def get_sync_status(ctx: ToolContext, params: GetSyncStatusInput) -> GetSyncStatusOutput:
    """Status of provider syncs, per connection.

    For each connection: provider, enabled, interval, the committed cursor per stream,
    when the schedule next queues a sync, the active (queued or running) run and the
    most recent runs with their counts (fetched, created, updated, unmatched, failed),
    error codes and cursors before/after; plus each listed provider's circuit-breaker
    state. Credentials are never returned. Pages with `cursor`/`limit`.
    """
    after = cursor_decode(params.cursor, required_keys=("after",))
    rows, has_next = connection_status_page(
        connection_id=params.connection_id,
        after_id=int(after.get("after", 0)),
        limit=params.limit,
        runs_per_connection=params.runs,
    )
    if params.connection_id is not None and not rows and not params.cursor:
        raise NotFound(
            f"no connection {params.connection_id}",
            details={"connection_id": params.connection_id},
        )
    connections = []
    for row in rows:
        runs = [SyncRunOut.model_validate(run) for run in row["runs"]]
        active = next((r for r in runs if r.status in ACTIVE_SYNC_STATUSES), None)
        connections.append(
            ConnectionStatus(
                id=row["id"],
                provider=row["provider"],
                name=row["name"],
                base_url=row["base_url"],
                enabled=row["enabled"],
                sync_interval_minutes=row["sync_interval_minutes"],
                last_synced_at=row["last_synced_at"],
                next_due_at=connection_next_due_at(
                    enabled=row["enabled"],
                    provider=row["provider"],
                    interval_minutes=row["sync_interval_minutes"],
                    last_started=row["last_started"],
                    now=ctx.now,
                ),
                cursors=row["cursors"] or {},
                active_run=active,
                runs=runs,
            )
        )
    providers = sorted({c.provider for c in connections})
    breakers = [BreakerOut(**resilience.breaker_state(p).__dict__) for p in providers]
    next_cursor = cursor_encode({"after": rows[-1]["id"]}) if has_next and rows else None
    return GetSyncStatusOutput(
        as_of=ctx.now,
        connections=connections,
        breakers=breakers,
        page=PageInfo(next_cursor=next_cursor, has_next=has_next, limit=params.limit),
    )
