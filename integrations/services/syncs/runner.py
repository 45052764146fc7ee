"""The SyncRun lifecycle: queue, claim (never two active runs per connection), run the
streams with a heartbeat, finish with counts and an error code.

A run is *active* while queued or running; a partial unique index makes a second active
run for one connection impossible. A running run whose heartbeat is older than
``SYNC_STALE_AFTER_SECONDS`` belongs to a worker that died (SIGKILL, OOM, lost node):
the next claim marks it failed with ``abandoned`` and starts afresh from the cursors it
committed, so nothing is lost and nothing is applied twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, transaction

from cs_platform.core import clock
from cs_platform.core.errors import Conflict, DomainError, InvalidInput, NotFound
from integrations.clients import client_for_connection
from integrations.metrics import sync_run_count
from integrations.models import ACTIVE_SYNC_STATUSES, Connection, SyncRun, SyncStatus
from integrations.services.syncs.context import PageProgress, SyncContext
from integrations.services.syncs.heartbeat import Heartbeat, error_of
from integrations.services.syncs.streams import STREAMS, streams_for

logger = logging.getLogger(__name__)
ALL_STREAMS = "all"


def heartbeat_seconds() -> float:
    return float(getattr(settings, "SYNC_HEARTBEAT_SECONDS", 10))


def stale_after() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "SYNC_STALE_AFTER_SECONDS", 120)))


def queued_stale_after() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "SYNC_QUEUED_STALE_AFTER_SECONDS", 3600)))


def run_is_stale(run: SyncRun, now: datetime) -> bool:
    if run.status == SyncStatus.QUEUED:
        return run.started_at < now - queued_stale_after()
    return (run.heartbeat_at or run.started_at) < now - stale_after()


def stream_validate(provider: str, stream: str | None) -> str:
    """``stream`` (None = every stream of the provider, in dependency order) or an
    ``invalid_input`` naming the streams this provider has."""
    known = STREAMS.get(provider, {})
    if not known:
        raise InvalidInput(
            f"{provider} has no sync streams",
            details={
                "errors": [{"field": "connection_id", "message": f"{provider} is not synced"}]
            },
        )
    if stream in (None, "", ALL_STREAMS):
        return ALL_STREAMS
    if stream not in known:
        message = f"must be one of: {', '.join(known)}"
        raise InvalidInput(
            f"stream {message}", details={"errors": [{"field": "stream", "message": message}]}
        )
    return stream


def _abandon(run: SyncRun, now: datetime) -> None:
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncStatus.FAILED,
        finished_at=now,
        error_code="abandoned",
        error_message=(
            f"queued at {run.started_at.isoformat()} and never started: its task was lost"
            if run.status == SyncStatus.QUEUED
            else f"no heartbeat since {(run.heartbeat_at or run.started_at).isoformat()}: "
            "the worker running it stopped"
        ),
    )


def _active_run(connection_id: int) -> SyncRun | None:
    return (
        SyncRun.objects.filter(connection_id=connection_id, status__in=ACTIVE_SYNC_STATUSES)
        .order_by("-started_at")
        .first()
    )


@transaction.atomic
def sync_run_enqueue(
    *, connection_id: int, stream: str | None, full_resync: bool, trigger: str
) -> tuple[SyncRun, bool]:
    """A queued run for the connection, or the active one: ``(run, created)``.

    The caller enqueues the task (``transaction.on_commit``) only when ``created``."""
    now = clock.now()
    conn = Connection.objects.select_for_update().filter(pk=connection_id).first()
    if conn is None:
        raise NotFound(f"no connection {connection_id}", details={"connection_id": connection_id})
    stream = stream_validate(conn.provider, stream)
    if not conn.enabled:
        raise InvalidInput(
            "connection is disabled",
            details={"errors": [{"field": "connection_id", "message": "connection is disabled"}]},
        )
    active = _active_run(conn.pk)
    if active is not None:
        if not run_is_stale(active, now):
            return active, False
        _abandon(active, now)
    run = SyncRun.objects.create(
        connection=conn,
        stream=stream,
        status=SyncStatus.QUEUED,
        trigger=trigger,
        full_resync=full_resync,
        task_id=str(uuid.uuid4()),
        started_at=now,
        cursor_before=dict(conn.cursors or {}),
    )
    return run, True


@dataclass(frozen=True)
class Claim:
    run: SyncRun | None  # None: nothing to do
    reason: str = ""
    retry_in: float | None = None  # seconds; set when trying again later can help


class SyncRunStillAlive(Conflict):
    """A redelivered task found its own run still heartbeating: either the first
    delivery is alive (Redis redelivered early) or it died moments ago. Retry once the
    heartbeat would be stale; the retry then finds the run finished or abandoned."""

    retryable = True

    def __init__(self, run_id: int, retry_in: float) -> None:
        super().__init__(
            f"run {run_id} is still heartbeating", details={"run_id": run_id, "retry_in": retry_in}
        )
        self.retry_in = retry_in


def _new_running(conn: Connection, stream: str, trigger: str, task_id: str, full: bool) -> SyncRun:
    now = clock.now()
    return SyncRun.objects.create(
        connection=conn,
        stream=stream,
        status=SyncStatus.RUNNING,
        trigger=trigger,
        full_resync=full,
        task_id=task_id,
        started_at=now,
        heartbeat_at=now,
        cursor_before=dict(conn.cursors or {}),
    )


@transaction.atomic
def sync_run_claim(
    *, connection_id: int, stream: str | None, run_id: int | None, task_id: str, trigger: str,
    full_resync: bool,
) -> Claim:  # fmt: skip
    """Turn the queued run (or a new one) into the running run of this worker."""
    now = clock.now()
    conn = Connection.objects.select_for_update().filter(pk=connection_id).first()
    if conn is None:
        return Claim(None, f"connection {connection_id} no longer exists")
    stream = stream_validate(conn.provider, stream)
    active = _active_run(conn.pk)
    target = SyncRun.objects.filter(pk=run_id, connection=conn).first() if run_id else None
    if run_id and target is None:
        return Claim(None, f"run {run_id} no longer exists")
    if target is not None and target.status not in ACTIVE_SYNC_STATUSES:
        return Claim(None, f"run {target.pk} already {target.status}")  # a duplicate delivery
    if target is not None and target.status == SyncStatus.QUEUED:
        if not conn.enabled:
            SyncRun.objects.filter(pk=target.pk).update(
                status=SyncStatus.FAILED, finished_at=now, error_code="connection_disabled",
                error_message="the connection was disabled before the run started",
            )  # fmt: skip
            return Claim(None, "connection is disabled")
        SyncRun.objects.filter(pk=target.pk).update(
            status=SyncStatus.RUNNING, started_at=now, heartbeat_at=now, task_id=task_id,
            cursor_before=dict(conn.cursors or {}),
        )  # fmt: skip
        target.refresh_from_db()
        return Claim(target)
    if active is not None:
        if not run_is_stale(active, now):
            retry_in = None
            if target is not None and target.pk == active.pk:
                beat = active.heartbeat_at or active.started_at
                retry_in = max(1.0, (beat + stale_after() - now).total_seconds() + 1.0)
            return Claim(None, f"run {active.pk} is {active.status} for this connection", retry_in)
        _abandon(active, now)
        if target is not None:  # our own earlier delivery died: carry on as a new run
            stream, trigger, full_resync = target.stream, target.trigger, target.full_resync
    if not conn.enabled:
        return Claim(None, "connection is disabled")
    try:
        with transaction.atomic():
            return Claim(_new_running(conn, stream, trigger, task_id, full_resync))
    except IntegrityError:
        return Claim(None, "another run became active")


def _finish(run: SyncRun, ctx: SyncContext | None, exc: BaseException | None) -> SyncRun:
    now = clock.now()
    fields: dict[str, Any] = {"finished_at": now, "heartbeat_at": now}
    if exc is None:
        run.refresh_from_db(fields=["failed"])
        fields["status"] = SyncStatus.PARTIAL if run.failed else SyncStatus.SUCCEEDED
    else:
        fields["status"] = SyncStatus.FAILED
        fields["error_code"], fields["error_message"] = error_of(exc)
    if ctx is not None:
        fields["cursor_after"] = ctx.stored_cursors
    with transaction.atomic():
        SyncRun.objects.filter(pk=run.pk).update(**fields)
        if exc is None:
            Connection.objects.filter(pk=run.connection_id).update(last_synced_at=now)
    run.refresh_from_db()
    sync_run_count(
        provider=run.connection.provider,
        status=run.status,
        counts={
            k: getattr(run, k) for k in ("fetched", "created", "updated", "unmatched", "failed")
        },
    )
    return run


def sync_run_execute(
    *,
    connection_id: int,
    stream: str | None = None,
    run_id: int | None = None,
    task_id: str = "",
    trigger: str = "schedule",
    full_resync: bool = False,
    on_page: Callable[[PageProgress], None] | None = None,
) -> tuple[SyncRun | None, str]:
    """Claim and run a sync; returns ``(run, "")`` or ``(None, why nothing ran)``.

    Provider failures end the run as ``failed`` with the error's code and are not
    raised (the SyncRun is the report); anything else is recorded, then re-raised.
    Raises ``SyncRunStillAlive`` when ``run_id`` is running elsewhere with a fresh
    heartbeat (the task retries later).
    """
    claim = sync_run_claim(
        connection_id=connection_id, stream=stream, run_id=run_id, task_id=task_id,
        trigger=trigger, full_resync=full_resync,
    )  # fmt: skip
    if claim.run is None:
        if claim.retry_in is not None:
            raise SyncRunStillAlive(run_id or 0, claim.retry_in)
        logger.info("sync of connection %s skipped: %s", connection_id, claim.reason)
        return None, claim.reason
    run = claim.run
    ctx: SyncContext | None = None
    try:
        with Heartbeat(run.pk, heartbeat_seconds()):
            conn = Connection.objects.get(pk=connection_id)
            client = client_for_connection(conn)
            try:
                ctx = SyncContext(
                    connection=conn, run=run, client=client,
                    full_resync=run.full_resync, on_page=on_page,
                )  # fmt: skip
                for _stream, sync in streams_for(conn.provider, run.stream):
                    sync(ctx)
            finally:
                client.close()
    except BaseException as exc:
        failed = _finish(run, ctx, exc)
        logger.warning(
            "sync run %s of connection %s failed: %s %s",
            run.pk, connection_id, failed.error_code, failed.error_message,
        )  # fmt: skip
        if isinstance(exc, DomainError | SoftTimeLimitExceeded):
            return failed, ""
        raise
    return _finish(run, ctx, None), ""
