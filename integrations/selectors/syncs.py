"""Reads over connections and sync runs (status pages, the beat's due list)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Max, Window
from django.db.models.functions import RowNumber

from cs_platform.core import clock
from integrations.models import Connection, SyncRun
from integrations.services.syncs.streams import STREAMS

CONNECTION_STATUS_FIELDS = (
    "id", "provider", "name", "base_url", "enabled", "sync_interval_minutes", "cursors",
    "last_synced_at", "created_at",
)  # fmt: skip
RUN_FIELDS = (
    "id", "connection_id", "stream", "status", "trigger", "full_resync", "task_id",
    "started_at", "finished_at", "heartbeat_at", "fetched", "created", "updated",
    "unmatched", "failed", "error_code", "error_message", "cursor_before", "cursor_after",
    "unmatched_samples",
)  # fmt: skip


def connection_next_due_at(
    *, enabled: bool, provider: str, interval_minutes: int, last_started: datetime | None,
    now: datetime,
) -> datetime | None:  # fmt: skip
    """When the beat next queues a sync (it checks every few minutes): None when the
    connection is disabled or its provider has nothing to pull."""
    if not enabled or provider not in STREAMS:
        return None
    if last_started is None:
        return now
    return last_started + timedelta(minutes=interval_minutes)


def connection_due_list(now: datetime | None = None) -> list[int]:
    """Ids of enabled, syncable connections whose interval has passed (one query)."""
    now = now or clock.now()
    rows = (
        Connection.objects.filter(enabled=True, provider__in=list(STREAMS))
        .annotate(last_started=Max("runs__started_at"))
        .values_list("id", "provider", "sync_interval_minutes", "last_started")
        .order_by("id")
    )
    due = []
    for pk, provider, interval, last_started in rows:
        next_due = connection_next_due_at(
            enabled=True, provider=provider, interval_minutes=interval,
            last_started=last_started, now=now,
        )  # fmt: skip
        if next_due is not None and next_due <= now:
            due.append(pk)
    return due


def connection_status_page(
    *, connection_id: int | None, after_id: int, limit: int, runs_per_connection: int
) -> tuple[list[dict[str, Any]], bool]:
    """Connections (id order, keyset after ``after_id``) with their last runs: two
    queries whatever the number of connections or runs."""
    qs = Connection.objects.filter(id__gt=after_id).annotate(last_started=Max("runs__started_at"))
    if connection_id is not None:
        qs = qs.filter(id=connection_id)
    rows = list(qs.order_by("id").values(*CONNECTION_STATUS_FIELDS, "last_started")[: limit + 1])
    has_next = len(rows) > limit
    rows = rows[:limit]
    runs = (
        SyncRun.objects.filter(connection_id__in=[r["id"] for r in rows])
        .annotate(
            position=Window(
                RowNumber(),
                partition_by=[F("connection_id")],
                order_by=[F("started_at").desc(), F("id").desc()],
            )
        )
        .filter(position__lte=runs_per_connection)
        .order_by("connection_id", "position")
        .values(*RUN_FIELDS)
    )
    by_connection: dict[int, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
    for run in runs:
        by_connection[run["connection_id"]].append(run)
    for row in rows:
        row["runs"] = by_connection[row["id"]]
    return rows, has_next


def sync_run_get(run_id: int) -> dict[str, Any] | None:
    return SyncRun.objects.filter(pk=run_id).values(*RUN_FIELDS).first()
