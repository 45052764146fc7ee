"""The dashboard's aggregates served from Redis, keyed by a data version that moves when a
transaction that wrote to any table the dashboard reads commits.

Why the version moves at commit and not at the write: a reader that saw a version bumped
by a transaction still in flight would fill the entry from data without that
transaction's rows and store it under the new version, hiding the write once it commits.
So a statement trigger on every source table records its transaction in
`DashboardWritePending` (one row per transaction), and a deferred constraint trigger on
that row runs as the transaction commits: it sets `DashboardDataVersion` to a fresh
sequence value (visible together with the data, in the same commit) and deletes the row.
Row locks on the version are held only from that point to the commit, so writers never
wait on each other in mid-transaction (and cannot deadlock over it). Every write path
counts (services, admin, bulk UPDATE, COPY), as for the overview cache.

A reader takes the version before it reads the data, so an entry is never older than its
key's version; a transaction that has itself written a source and not committed
(a test's, a service composing a page after a write) skips the cache, since its own rows
are not behind any version yet. Keys also carry the database OID (a re-created database
never meets old entries), the book (everyone, one owner, a CSM's own) and the minute:
time-derived parts (renewal windows, CTA ages) are never more than a minute old. Entries
expire after `DASHBOARD_CACHE_SECONDS` (default 60). Redis errors are ignored by the
cache backend (IGNORE_EXCEPTIONS), so an outage reads the database. PostgreSQL only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from cs_platform.core.models import StaffProfile
from customers.models import CTA, Account, Renewal
from health.models import HealthScore, LatestHealthScore, Scorecard, SurveyResponse
from integrations.models import Connection, SyncRun
from portfolio.models import DashboardDataVersion, DashboardWritePending
from portfolio.services.overview_cache import database_id


def _sources() -> list[str]:
    """Every table a dashboard section reads (exchange rates and renewals reach it through
    the account's maintained columns; renewals are listed anyway)."""
    models = (
        Account, CTA, Renewal, HealthScore, LatestHealthScore, Scorecard, SurveyResponse,
        Connection, SyncRun, StaffProfile, get_user_model(),
    )  # fmt: skip
    return [m._meta.db_table for m in models]


_SEQUENCE = "portfolio_dashboarddataversion_seq"
_VERSION = DashboardDataVersion._meta.db_table
_PENDING = DashboardWritePending._meta.db_table
_TOUCH = f"""
CREATE OR REPLACE FUNCTION portfolio_dashboard_touch() RETURNS trigger LANGUAGE plpgsql
AS $fn$ BEGIN
  INSERT INTO {_PENDING} (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
  RETURN NULL;
END $fn$;
"""  # noqa: S608 (table names are the models'; no value is interpolated)
_COMMIT = f"""
CREATE OR REPLACE FUNCTION portfolio_dashboard_commit() RETURNS trigger LANGUAGE plpgsql
AS $fn$ BEGIN
  INSERT INTO {_VERSION} (id, version) VALUES (1, nextval('{_SEQUENCE}'))
  ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
  DELETE FROM {_PENDING} WHERE txid = NEW.txid;
  RETURN NULL;
END $fn$;
"""  # noqa: S608


def dashboard_version_triggers_install(
    connection: BaseDatabaseWrapper = default_connection,
) -> None:
    """Create (or replace) the commit-time version triggers (PostgreSQL; idempotent)."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {_SEQUENCE}")
        cursor.execute(_TOUCH)
        cursor.execute(_COMMIT)
        # Constraint triggers have no OR REPLACE.
        cursor.execute(f"DROP TRIGGER IF EXISTS {_PENDING}_commit ON {_PENDING}")
        cursor.execute(
            f"CREATE CONSTRAINT TRIGGER {_PENDING}_commit AFTER INSERT ON {_PENDING}"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
            " EXECUTE FUNCTION portfolio_dashboard_commit()"
        )
        for table in _sources():
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {table}_dashboard_touch"
                f" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
                " FOR EACH STATEMENT EXECUTE FUNCTION portfolio_dashboard_touch()"
            )


def dashboard_version_touch(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Record this transaction as a writer, as the source triggers do, so the version moves
    when it commits: for a bulk load that ran with those triggers off (the demo seed)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_PENDING} (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING"  # noqa: S608
        )


_READ_VERSION = f"""
SELECT (SELECT version FROM {_VERSION} WHERE id = 1),
       EXISTS (SELECT 1 FROM {_PENDING} WHERE txid = txid_current_if_assigned())
"""  # noqa: S608


def dashboard_cache_key(*, book: str, now: datetime) -> str | None:
    """The key of this book's dashboard as of now (one query), or None when the cache is
    off or this transaction has uncommitted writes to a source."""
    if default_connection.vendor != "postgresql" or not settings.DASHBOARD_CACHE_SECONDS:
        return None
    with default_connection.cursor() as cursor:
        cursor.execute(_READ_VERSION)
        version, own_writes = cursor.fetchone()
    if own_writes:
        return None
    minute = now.strftime("%Y%m%dT%H%M")
    return f"dashboard:v1:{database_id()}:{version or 0}:{book}:{minute}"


def dashboard_cache_get(key: str | None) -> Any | None:
    return None if key is None else cache.get(key)


def dashboard_cache_set(key: str | None, board: Any) -> None:
    if key is not None:
        cache.set(key, board, timeout=settings.DASHBOARD_CACHE_SECONDS)


__all__ = [
    "dashboard_cache_get",
    "dashboard_cache_key",
    "dashboard_cache_set",
    "dashboard_version_touch",
    "dashboard_version_triggers_install",
]
