"""Liveness and readiness checks. Each check answers (ok, detail) and never raises."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # any driver error means "not ready"; the detail says which
        connection.close()  # a broken connection must not be reused once the server is back
        return False, f"unreachable: {type(exc).__name__}: {str(exc).strip()[:200]}"
    if pending:
        return False, f"{len(pending)} migration(s) not applied"
    return True, "ok"


def check_redis() -> tuple[bool, str] | None:
    if not settings.REDIS_URL:
        return None
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except Exception as exc:
        return False, f"unreachable: {type(exc).__name__}: {exc}"
    return True, "ok"


def readiness_checks() -> dict[str, Callable[[], tuple[bool, str] | None]]:
    """Every readiness check by name. Apps add theirs here (e.g. the encryption canary)."""
    from integrations.probes import check_encryption_canary

    return {
        "database": check_database,
        "redis": check_redis,
        "encryption": check_encryption_canary,
    }


def readiness() -> tuple[bool, dict[str, dict[str, object]]]:
    results: dict[str, dict[str, object]] = {}
    for name, check in readiness_checks().items():
        if name != "database" and not results.get("database", {}).get("ok", True):
            if name == "encryption":  # needs the database; reported as skipped, not as ok
                results[name] = {"ok": False, "detail": "skipped: database not ready"}
                continue
        outcome = check()
        if outcome is None:
            continue
        ok, detail = outcome
        results[name] = {"ok": ok, "detail": detail}
    return all(r["ok"] for r in results.values()), results
