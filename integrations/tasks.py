"""Celery tasks of the integrations app. Thin: take ids, call one service.

``acks_late`` and ``reject_on_worker_lost`` come from the app defaults: a worker that
dies mid-sync leaves the message to be delivered again, and the sync resumes from the
cursors its committed pages advanced (the stale run is marked ``abandoned``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction

from cs_platform.core import clock
from integrations.selectors.outbox import outbox_due_ids
from integrations.selectors.syncs import connection_due_list
from integrations.services.outbox.deliver import DeliveryInFlight, outbox_message_deliver
from integrations.services.syncs import SyncRunStillAlive, sync_run_enqueue, sync_run_execute

SOFT_TIME_LIMIT = int(getattr(settings, "SYNC_SOFT_TIME_LIMIT", 900))
HARD_TIME_LIMIT = int(getattr(settings, "SYNC_TIME_LIMIT", SOFT_TIME_LIMIT + 60))
# One provider call with the resilient helper's retries fits well within these; the claim
# timeout (OUTBOX_CLAIM_TIMEOUT_SECONDS) must stay above the hard limit, so a row is never
# re-claimed while the attempt that claimed it can still be running.
OUTBOX_SOFT_TIME_LIMIT = 240
OUTBOX_HARD_TIME_LIMIT = 300


@shared_task(
    name="integrations.sync_connection",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=HARD_TIME_LIMIT,
)
def sync_connection(
    self: Any,
    connection_id: int,
    stream: str | None = None,
    run_id: int | None = None,
    full_resync: bool = False,
    trigger: str = "schedule",
) -> dict[str, Any]:
    """Run one sync of a connection (all its streams when ``stream`` is None)."""
    try:
        run, skipped = sync_run_execute(
            connection_id=connection_id,
            stream=stream,
            run_id=run_id,
            task_id=self.request.id or "",
            trigger=trigger,
            full_resync=full_resync,
        )
    except SyncRunStillAlive as alive:
        raise self.retry(countdown=alive.retry_in, max_retries=5) from alive
    if run is None:
        return {"connection_id": connection_id, "status": "skipped", "reason": skipped}
    return {
        "connection_id": connection_id,
        "run_id": run.pk,
        "status": run.status,
        "error_code": run.error_code,
        "created": run.created,
        "updated": run.updated,
    }


def sync_enqueue_on_commit(run_id: int, task_id: str, connection_id: int, stream: str,
                           full_resync: bool, trigger: str) -> None:  # fmt: skip
    """Send the run's task once the transaction that queued the run has committed."""
    kwargs = {
        "connection_id": connection_id,
        "stream": stream,
        "run_id": run_id,
        "full_resync": full_resync,
        "trigger": trigger,
    }
    transaction.on_commit(lambda: sync_connection.apply_async(kwargs=kwargs, task_id=task_id))


@shared_task(name="integrations.sync_due_connections", acks_late=True)
def sync_due_connections() -> dict[str, Any]:
    """Beat entry: queue a sync for every enabled connection whose interval has passed
    and that has no queued or running sync."""
    queued = []
    for connection_id in connection_due_list():
        with transaction.atomic():
            run, created = sync_run_enqueue(
                connection_id=connection_id, stream=None, full_resync=False, trigger="schedule"
            )
            if created:
                sync_enqueue_on_commit(
                    run.pk, run.task_id, connection_id, run.stream, False, "schedule"
                )
                queued.append(run.pk)
    return {"queued_runs": queued}


@shared_task(
    name="integrations.outbox_deliver",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=OUTBOX_SOFT_TIME_LIMIT,
    time_limit=OUTBOX_HARD_TIME_LIMIT,
)
def outbox_deliver(self: Any, outbox_id: int) -> dict[str, Any]:
    """Make one attempt at an outbox row's provider call (idempotent: a finished row is
    skipped, a row in flight elsewhere is retried once its claim could be stale)."""
    try:
        outcome = outbox_message_deliver(outbox_id=outbox_id)
    except DeliveryInFlight as busy:
        if self.request.is_eager:  # inline mode: the re-drive picks it up later
            return {"outbox_id": outbox_id, "status": "skipped", "reason": "in flight"}
        raise self.retry(countdown=busy.retry_in + 1, max_retries=20) from busy
    if outcome.retry_in is not None and not self.request.is_eager:
        # Inline (eager) mode would run this at once, recursively: there the row waits
        # for the re-drive instead.
        outbox_deliver.apply_async((outbox_id,), countdown=outcome.retry_in)
    return outcome.as_dict()


def outbox_deliver_on_commit(outbox_ids: Iterable[int]) -> None:
    """Send each row's delivery task once the transaction that stored the rows commits."""
    for outbox_id in outbox_ids:
        # robust: in the inline (eager) mode the delivery runs in this callback, and its
        # failure must not turn the committed write into an error for the caller.
        transaction.on_commit(lambda pk=outbox_id: outbox_deliver.delay(pk), robust=True)


@shared_task(name="integrations.outbox_redrive", acks_late=True)
def outbox_redrive() -> dict[str, Any]:
    """Beat entry: hand rows whose task is late or lost, and rows left "sending" by a
    dead worker, to a worker again."""
    now = clock.now()
    ids = outbox_due_ids(
        now=now,
        pending_before=now - timedelta(seconds=settings.OUTBOX_REDRIVE_AFTER_SECONDS),
        stale_before=now - timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS),
    )
    for outbox_id in ids:
        outbox_deliver.delay(outbox_id)
    return {"redriven": ids}
