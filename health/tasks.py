"""Celery tasks of the health engine. They take ids and an explicit ``as_of`` and call one
service, so a redelivered task (acks_late) rewrites the same snapshots instead of adding
new ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from cs_platform.core import clock
from health.services.scoring import CHUNK_SIZE, account_id_chunks, health_recompute_accounts


def _as_of(value: str | None) -> datetime:
    if value is None:
        # Whole hours: the portfolio task retried within the hour reuses the same as_of.
        return clock.now().replace(minute=0, second=0, microsecond=0)
    moment = datetime.fromisoformat(value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


@shared_task(
    name="health.recompute_chunk",
    acks_late=True,
    # A concurrent run of the same chunk loses on the unique constraints and is retried;
    # the retry takes the upsert path and replaces what the other run wrote.
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def recompute_chunk(
    account_ids: list[int], as_of: str, scorecard_key: str = "default"
) -> dict[str, Any]:
    """Score one chunk of accounts as of ``as_of`` (ISO 8601) and persist the snapshots."""
    summary = health_recompute_accounts(
        account_ids=account_ids,
        as_of=_as_of(as_of),
        scorecard_key=scorecard_key,
        channel="task",
        actor_label="task:health.recompute_chunk",
    )
    return summary.to_dict()


@shared_task(name="health.recompute_portfolio", acks_late=True)
def recompute_portfolio(
    as_of: str | None = None, chunk_size: int = CHUNK_SIZE, scorecard_key: str = "default"
) -> dict[str, Any]:
    """Fan the whole portfolio out to ``health.recompute_chunk`` tasks of ``chunk_size`` ids,
    all with the same ``as_of``. Never one task per account, never waits on results."""
    moment = _as_of(as_of)
    chunks = accounts = 0
    for ids in account_id_chunks(chunk_size=chunk_size):
        recompute_chunk.delay(ids, moment.isoformat(), scorecard_key)
        chunks += 1
        accounts += len(ids)
    return {"as_of": moment.isoformat(), "chunks": chunks, "accounts": accounts}
