"""The portfolio list's maintained data: `Account.next_open_renewal_date` and the
`PortfolioRollup` totals, both kept by database triggers so that no write path (services,
bulk COPY, admin, seed, a rate refresh) can leave them behind.

Why triggers and not service hooks: accounts change through many paths, some of them
set-based (`arr_reporting` refresh, the health recompute's COPY, bulk ingest); a statement
trigger sees every one of them with its old and new rows (transition tables), so the totals
move by exact deltas in the same transaction as the write.

The triggers are (re)installed after every `migrate` (post_migrate, idempotent), because
SQLite drops a table's triggers when a migration rebuilds the table. On PostgreSQL the rollup
is applied as one grouped upsert per statement, in key order, so concurrent writers lock
rollup rows in the same order. SQLite (the embedded demo) keeps the renewal column only and
aggregates totals per request.
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

_GROUP = (
    "COALESCE(owner_id, 0), COALESCE(latest_health_band, 'unknown'), tier, lifecycle_stage, status"
)
_KEY = "owner_key, band, tier, lifecycle_stage, status"


def _delta(rows: str, sign: int) -> str:
    return (
        f"SELECT {_GROUP}, {sign} AS n, {sign} * COALESCE(arr_reporting, 0) AS arr,"
        f" CASE WHEN arr_reporting IS NULL THEN {sign} ELSE 0 END AS nr FROM {rows}"
    )


def _apply(parts: list[str]) -> str:
    union = " UNION ALL ".join(parts)
    return f"""
    INSERT INTO customers_portfoliorollup AS r ({_KEY}, accounts, arr_total, without_rate)
    SELECT k1, k2, k3, k4, k5, sum(n), sum(arr), sum(nr)
    FROM ({union}) AS d (k1, k2, k3, k4, k5, n, arr, nr)
    GROUP BY k1, k2, k3, k4, k5
    HAVING sum(n) <> 0 OR sum(arr) <> 0 OR sum(nr) <> 0
    ORDER BY k1, k2, k3, k4, k5
    ON CONFLICT ({_KEY}) DO UPDATE
    SET accounts = r.accounts + EXCLUDED.accounts,
        arr_total = r.arr_total + EXCLUDED.arr_total,
        without_rate = r.without_rate + EXCLUDED.without_rate;
    """


_NEXT_RENEWAL = """
    UPDATE customers_account a SET next_open_renewal_date = x.d
    FROM (SELECT ids.account_id,
                 (SELECT min(r.renewal_date) FROM customers_renewal r
                   WHERE r.account_id = ids.account_id AND r.stage <> 'closed') AS d
            FROM (SELECT DISTINCT account_id FROM ({rows}) AS t) AS ids) AS x
    WHERE a.id = x.account_id AND a.next_open_renewal_date IS DISTINCT FROM x.d;
"""

_PG_FUNCTIONS = {
    "customers_rollup_on_insert": _apply([_delta("new_rows", 1)]),
    "customers_rollup_on_update": _apply([_delta("old_rows", -1), _delta("new_rows", 1)]),
    "customers_rollup_on_delete": _apply([_delta("old_rows", -1)]),
    "customers_renewal_on_insert": _NEXT_RENEWAL.format(rows="SELECT account_id FROM new_rows"),
    "customers_renewal_on_update": _NEXT_RENEWAL.format(
        rows="SELECT account_id FROM new_rows UNION ALL SELECT account_id FROM old_rows"
    ),
    "customers_renewal_on_delete": _NEXT_RENEWAL.format(rows="SELECT account_id FROM old_rows"),
}

_PG_TRIGGERS = [
    # (trigger, table, event, transition tables, function)
    ("account_rollup_ins", "customers_account", "INSERT", "NEW TABLE AS new_rows",
     "customers_rollup_on_insert"),
    ("account_rollup_upd", "customers_account", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows", "customers_rollup_on_update"),
    ("account_rollup_del", "customers_account", "DELETE", "OLD TABLE AS old_rows",
     "customers_rollup_on_delete"),
    ("renewal_next_ins", "customers_renewal", "INSERT", "NEW TABLE AS new_rows",
     "customers_renewal_on_insert"),
    ("renewal_next_upd", "customers_renewal", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows", "customers_renewal_on_update"),
    ("renewal_next_del", "customers_renewal", "DELETE", "OLD TABLE AS old_rows",
     "customers_renewal_on_delete"),
]  # fmt: skip

_SQLITE_NEXT = (
    "UPDATE customers_account SET next_open_renewal_date = (SELECT min(renewal_date)"
    " FROM customers_renewal WHERE account_id = {ref}.account_id AND stage <> 'closed')"
    " WHERE id = {ref}.account_id;"
)
_SQLITE_TRIGGERS = {
    "renewal_next_ins": "AFTER INSERT ON customers_renewal BEGIN "
    + _SQLITE_NEXT.format(ref="NEW")
    + " END",
    "renewal_next_upd": "AFTER UPDATE ON customers_renewal BEGIN "
    + _SQLITE_NEXT.format(ref="NEW")
    + " "
    + _SQLITE_NEXT.format(ref="OLD")
    + " END",
    "renewal_next_del": "AFTER DELETE ON customers_renewal BEGIN "
    + _SQLITE_NEXT.format(ref="OLD")
    + " END",
}

REBUILD_ROLLUP_SQL = f"""
DELETE FROM customers_portfoliorollup;
INSERT INTO customers_portfoliorollup ({_KEY}, accounts, arr_total, without_rate)
SELECT {_GROUP}, count(*), COALESCE(sum(arr_reporting), 0),
       count(*) FILTER (WHERE arr_reporting IS NULL)
FROM customers_account GROUP BY 1, 2, 3, 4, 5;
"""

_RESYNC_RENEWAL_SQL = """
UPDATE customers_account SET next_open_renewal_date = (
    SELECT min(r.renewal_date) FROM customers_renewal r
    WHERE r.account_id = customers_account.id AND r.stage <> 'closed')
WHERE next_open_renewal_date {distinct} (
    SELECT min(r.renewal_date) FROM customers_renewal r
    WHERE r.account_id = customers_account.id AND r.stage <> 'closed')
"""


def list_triggers_install(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Create (or replace) the triggers, then bring the maintained data in line with the
    tables: the renewal column and, on PostgreSQL, the rollup rebuilt from the accounts."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, body in _PG_FUNCTIONS.items():
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql"
                    f" AS $fn$ BEGIN {body} RETURN NULL; END $fn$;"
                )
            for trigger, table, event, refs, function in _PG_TRIGGERS:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {trigger} AFTER {event} ON {table}"
                    f" REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                )
            cursor.execute(_RESYNC_RENEWAL_SQL.format(distinct="IS DISTINCT FROM"))
            portfolio_rollup_rebuild(connection)
        elif connection.vendor == "sqlite":
            for trigger, body in _SQLITE_TRIGGERS.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                cursor.execute(f"CREATE TRIGGER {trigger} {body}")
            cursor.execute(_RESYNC_RENEWAL_SQL.format(distinct="IS NOT"))


def list_columns_resync(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Bring the renewal column and the rollup in line with the tables without touching
    the triggers: the repair after a bulk load that ran with them switched off."""
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(_RESYNC_RENEWAL_SQL.format(distinct=distinct))
    portfolio_rollup_rebuild(connection)


def portfolio_rollup_rebuild(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Recount the rollup from the accounts (PostgreSQL). The triggers keep it exact; this
    is the repair after a bulk load with triggers off, and what the consistency test
    compares against. EXCLUSIVE waits for writers in flight and holds new ones until
    the recount commits, so no delta is lost or counted twice."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE customers_portfoliorollup IN EXCLUSIVE MODE")
        cursor.execute(REBUILD_ROLLUP_SQL)


__all__ = [
    "REBUILD_ROLLUP_SQL",
    "list_columns_resync",
    "list_triggers_install",
    "portfolio_rollup_rebuild",
]
