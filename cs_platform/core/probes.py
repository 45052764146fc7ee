"""Readiness checks behind ``/readyz``. Each check answers ``(ok, detail)`` and never raises.

Time bound: the database check waits at most ``DB_POOL_TIMEOUT`` (pool) or
``DB_CONNECT_TIMEOUT`` (no pool) for a connection, the Redis check at most
``REDIS_CONNECT_TIMEOUT`` / ``REDIS_SOCKET_TIMEOUT``; so ``/readyz`` answers within their
sum even while a dependency is down. Details name the failure class only: the endpoint
is unauthenticated and driver messages carry host names and user names. The full error
goes to the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypedDict

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cs_platform.core.ports import readiness_check_functions

logger = logging.getLogger(__name__)

CheckOutcome = tuple[bool, str]
Check = Callable[[], CheckOutcome | None]  # None: not configured here, left out

# Checks that read tables: with the database down they are reported as skipped.
NEEDS_DATABASE = frozenset({"encryption"})


class CheckResult(TypedDict):
    ok: bool | None  # None: skipped because a check it depends on failed
    detail: str
    ms: int


def check_database() -> CheckOutcome:
    """The database answers and every migration on disk is applied."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # any driver error means "not ready"
        logger.warning("readiness: database check failed: %r", exc)
        # Hand the broken connection back: the pool discards it (its state is BAD) and
        # dials a new one, and without a pool the next request connects afresh. So
        # /readyz recovers by itself once the server is back; no restart needed.
        connection.close()
        return False, f"unreachable ({type(exc).__name__})"
    if pending:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in pending[:5])
        more = f" and {len(pending) - 5} more" if len(pending) > 5 else ""
        return False, f"{len(pending)} migration(s) not applied: {names}{more}"
    return True, "ok"


def check_redis() -> CheckOutcome | None:
    """Redis (cache and Celery broker) answers PING; left out when REDIS_URL is unset."""
    if not settings.REDIS_URL:
        return None
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )
    try:
        client.ping()
    except Exception as exc:
        logger.warning("readiness: redis check failed: %r", exc)
        return False, f"unreachable ({type(exc).__name__})"
    finally:
        client.close()
    return True, "ok"


def readiness_checks() -> dict[str, Check]:
    """Every readiness check by name, in the order they run (settings.READINESS_CHECKS:
    apps add checks that read their own tables, such as the encryption canary)."""
    return readiness_check_functions()


def readiness(checks: dict[str, Check] | None = None) -> tuple[bool, dict[str, CheckResult]]:
    """Run the checks; ready only when every one that ran passed and none was skipped."""
    results: dict[str, CheckResult] = {}
    for name, check in (checks or readiness_checks()).items():
        if name in NEEDS_DATABASE and results.get("database", {}).get("ok") is False:
            results[name] = {"ok": None, "detail": "skipped: database not ready", "ms": 0}
            continue
        started = time.monotonic()
        try:
            outcome = check()
        except Exception as exc:  # a check must never turn /readyz into a 500
            logger.exception("readiness: check %s raised", name)
            outcome = (False, f"check raised {type(exc).__name__}")
        if outcome is None:
            continue
        ok, detail = outcome
        results[name] = {
            "ok": ok,
            "detail": detail,
            "ms": round(1000 * (time.monotonic() - started)),
        }
    return all(result["ok"] is True for result in results.values()), results


def failed_checks(results: dict[str, CheckResult]) -> list[str]:
    """Names of the checks that ran and failed (skipped ones are not blamed)."""
    return [name for name, result in results.items() if result["ok"] is False]
