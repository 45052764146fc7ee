"""A running sync's heartbeat, and the error code a failed run records."""

from __future__ import annotations

import logging
import threading

from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, close_old_connections, connection

from cs_platform.core import clock
from cs_platform.core.errors import DomainError
from integrations.models import SyncRun, SyncStatus

logger = logging.getLogger(__name__)


class Heartbeat:
    """Touches ``heartbeat_at`` while the run works, so a slow page (long export,
    retries with backoff) is not mistaken for a dead worker."""

    def __init__(self, run_id: int, interval: float) -> None:
        self.run_id = run_id
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"sync-heartbeat-{run_id}")
        self._thread.daemon = True

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    SyncRun.objects.filter(pk=self.run_id, status=SyncStatus.RUNNING).update(
                        heartbeat_at=clock.now()
                    )
                except DatabaseError:
                    logger.warning("sync heartbeat for run %s failed", self.run_id)
                    close_old_connections()
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def error_of(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, DomainError):
        return exc.code, exc.message[:2000]
    if isinstance(exc, SoftTimeLimitExceeded):
        return "time_limit", "the run exceeded its soft time limit; committed pages are kept"
    if isinstance(exc, DatabaseError):
        return "database_error", f"{type(exc).__name__}: {exc}"[:2000]
    return "internal_error", f"{type(exc).__name__}: {exc}"[:2000]
