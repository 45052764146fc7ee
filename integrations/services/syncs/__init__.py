"""Provider syncs: incremental, cursor based, upserting on (connection, external id),
advancing each stream's cursor in the transaction that stores its page.

Entry points: ``sync_run_enqueue`` (a queued run, or the active one) and
``sync_run_execute`` (claim and run; called by the Celery task and the CLI).
"""

from integrations.services.syncs.context import PageProgress, PageResult, SyncContext
from integrations.services.syncs.runner import (
    ALL_STREAMS,
    SyncRunStillAlive,
    run_is_stale,
    stream_validate,
    sync_run_claim,
    sync_run_enqueue,
    sync_run_execute,
)
from integrations.services.syncs.streams import STREAMS, streams_for

__all__ = [
    "ALL_STREAMS",
    "STREAMS",
    "PageProgress",
    "PageResult",
    "SyncContext",
    "SyncRunStillAlive",
    "run_is_stale",
    "stream_validate",
    "streams_for",
    "sync_run_claim",
    "sync_run_enqueue",
    "sync_run_execute",
]
