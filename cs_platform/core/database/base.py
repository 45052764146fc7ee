"""The PostgreSQL backend: Django's, with django-prometheus' query counters, and failing
fast while the database is unreachable.

Without this, every request during an outage waits the full ``DB_POOL_TIMEOUT`` for a
connection the pool cannot make, and a gunicorn sync worker serves one request at a time:
with a few clients queued behind each other, answers took 20 s and more. Here a failed
connection attempt closes this process's gate for ``DB_FAIL_FAST_SECONDS``: meanwhile a
new connection is refused at once (``OperationalError``, answered ``503 unavailable``).
After the window, the next request first checks that the server accepts TCP connections
(a refused port answers in microseconds, a partition within a second) and only then asks
a fresh pool (the old one's reconnection may be asleep in its backoff), so an outage costs
one pool timeout per process, not one per request, and the database's return is noticed
within the window.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import psycopg
from django.conf import settings
from django_prometheus.db.backends.postgresql import base as prometheus_base

from cs_platform.core.telemetry import metrics

FAST_FAILURES = metrics.counter(
    "cs_db_fail_fast_total",
    "Connection requests refused at once because the database was just unreachable",
    ["alias"],
)


class OutageGate:
    """Per process and alias: when the last connection attempt failed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.failed_at: float | None = None

    def check(self, window: float) -> None:
        with self._lock:
            failed_at = self.failed_at
        if failed_at is not None and time.monotonic() - failed_at < window:
            ago = time.monotonic() - failed_at
            raise psycopg.OperationalError(
                f"database unavailable: a connection attempt failed {ago:.1f}s ago"
            )

    def record(self, ok: bool) -> None:
        with self._lock:
            self.failed_at = None if ok else time.monotonic()

    @property
    def open(self) -> bool:
        return self.failed_at is None


def _server_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


_gates: dict[str, OutageGate] = {}


def outage_gate(alias: str) -> OutageGate:
    return _gates.setdefault(alias, OutageGate())


class DatabaseWrapper(prometheus_base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        gate = outage_gate(self.alias)
        window = float(getattr(settings, "DB_FAIL_FAST_SECONDS", 0) or 0)
        if window and not gate.open:
            try:
                gate.check(window)
                host = self.settings_dict.get("HOST") or ""
                if host and not host.startswith("/"):
                    port = int(self.settings_dict.get("PORT") or 5432)
                    if not _server_accepts(host, port):
                        gate.record(ok=False)
                        raise psycopg.OperationalError(
                            "database unavailable: the server refuses connections"
                        )
            except psycopg.OperationalError:
                FAST_FAILURES.labels(self.alias).inc()
                raise
            # The server is back. The pool's own reconnection may be sleeping in its
            # backoff for up to DB_POOL_RECONNECT_TIMEOUT: start from a fresh pool instead.
            self.close_pool()
        try:
            connection = super().get_new_connection(conn_params)
        except psycopg.OperationalError:  # refused, timed out, or the pool gave up (PoolTimeout)
            gate.record(ok=False)
            raise
        gate.record(ok=True)
        return connection
