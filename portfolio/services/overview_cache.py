"""The account 360 (`get_client_overview`) served from Redis, keyed by the account's data
version so that no committed write can be hidden by an older entry.

Every table the overview reads carries statement triggers (installed after every
`migrate`, PostgreSQL only) that bump `AccountDataVersion` for each account a statement
touched, in that statement's transaction. A reader fetches the account (the scope check it
needs anyway) and then its version; an entry is stored under (database, account, version,
minute), so an entry filled from data older than a commit sits under an older version and
is never read again. Entries expire after
`OVERVIEW_CACHE_SECONDS` (default 60): the answer's time-derived fields (SLA breaches, days
to renewal) are as of its `as_of`, the moment the entry was filled. The cache ignores
Redis errors (settings: IGNORE_EXCEPTIONS), so an outage means reads go to the database.
Not on SQLite (the embedded demo): no triggers, no cache.

The bump is one grouped upsert per statement in account order, so concurrent statements
lock version rows in the same order.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from portfolio.models import AccountDataVersion

logger = logging.getLogger(__name__)

# (table, column holding the account id): what get_client_overview reads.
_SOURCES = (
    ("customers_account", "id"),
    ("customers_contract", "account_id"),
    ("customers_renewal", "account_id"),
    ("customers_cta", "account_id"),
    ("health_healthscore", "account_id"),
    ("health_healthoverride", "account_id"),
    ("health_usagedaily", "account_id"),
    ("health_surveyresponse", "account_id"),
    ("integrations_supportticket", "account_id"),
)
_EVENTS = {
    "INSERT": ("NEW TABLE AS new_rows", "SELECT {col} FROM new_rows"),
    "UPDATE": (
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "SELECT {col} FROM new_rows UNION SELECT {col} FROM old_rows",
    ),
    "DELETE": ("OLD TABLE AS old_rows", "SELECT {col} FROM old_rows"),
}
# Versions come from one sequence, so a value is never reused in a database, not even
# after a rolled-back transaction (a test's, say) bumped it.
_SEQUENCE = "portfolio_accountdataversion_seq"
_BUMP = """
INSERT INTO portfolio_accountdataversion AS v (account_id, version)
SELECT ids.account_id, nextval('{seq}')
FROM (SELECT DISTINCT t.{col} AS account_id FROM ({rows}) AS t WHERE t.{col} IS NOT NULL
      ORDER BY 1) AS ids
ORDER BY 1
ON CONFLICT (account_id) DO UPDATE SET version = EXCLUDED.version;
"""


def overview_version_triggers_install(
    connection: BaseDatabaseWrapper = default_connection,
) -> None:
    """Create (or replace) the version triggers on every source table (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {_SEQUENCE}")
        for table, col in _SOURCES:
            for event, (refs, rows) in _EVENTS.items():
                function = f"portfolio_version_{table}_{event.lower()}"
                body = _BUMP.format(seq=_SEQUENCE, col=col, rows=rows.format(col=col))
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql"
                    f" AS $fn$ BEGIN {body} RETURN NULL; END $fn$;"
                )
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {table}_version_{event.lower()} AFTER {event}"
                    f" ON {table} REFERENCING {refs} FOR EACH STATEMENT"
                    f" EXECUTE FUNCTION {function}()"
                )


def overview_versions_bump_all(connection: BaseDatabaseWrapper = default_connection) -> None:
    """A new version for every account (PostgreSQL): what the triggers would have done for
    a bulk load that ran with them switched off (the demo seed)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            _BUMP.format(seq=_SEQUENCE, col="id", rows="SELECT id FROM customers_account")
        )


_database_ids: dict[str, int] = {}


def database_id() -> int:
    """This database's OID: a re-created database (every test run) gets a new one, so
    entries of a dropped database sharing the Redis never answer for the new one."""
    name = default_connection.settings_dict["NAME"]
    if name not in _database_ids:
        with default_connection.cursor() as cursor:
            cursor.execute("SELECT oid FROM pg_database WHERE datname = current_database()")
            _database_ids[name] = int(cursor.fetchone()[0])
    return _database_ids[name]


def overview_cache_key(account_id: int, now: datetime) -> str | None:
    """The key of this account's overview as of now, or None when caching is off. It
    carries the minute: time-derived fields (SLA breaches, days to renewal) are never more
    than a minute older than the data version they were read with."""
    if default_connection.vendor != "postgresql" or not settings.OVERVIEW_CACHE_SECONDS:
        return None
    version = (
        AccountDataVersion.objects.filter(account_id=account_id)
        .values_list("version", flat=True)
        .first()
    )
    minute = now.strftime("%Y%m%dT%H%M")
    return f"overview:v2:{database_id()}:{account_id}:{version or 0}:{minute}"


def overview_cache_get(key: str | None) -> dict[str, Any] | None:
    return None if key is None else cache.get(key)


def overview_cache_set(key: str | None, answer: dict[str, Any]) -> None:
    if key is not None:
        cache.set(key, answer, timeout=settings.OVERVIEW_CACHE_SECONDS)


__all__ = [
    "database_id",
    "overview_cache_get",
    "overview_cache_key",
    "overview_cache_set",
    "overview_version_triggers_install",
    "overview_versions_bump_all",
]
