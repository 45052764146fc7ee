"""`Account.latest_health_score/band/coverage`: the latest snapshot's values copied onto
the account by triggers on ``health_healthscore`` (whatever writes it: the recompute's
COPY, an override, the admin), so the portfolio list sorts by health on an index and reads
band and coverage without a subquery. Only changed values are written, so a daily recompute
that moves few scores touches few accounts. Installed after every ``migrate`` like the
customers app's list triggers (customers.services.list_columns), which this one's account
updates feed into the portfolio rollup.

A latest snapshot deleted with no other latest left clears the columns; flipping
``is_latest`` off without writing a new latest (nothing in the project does) would leave
them until the next resync (every ``migrate``).
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

_COLUMNS = "(latest_health_score, latest_health_band, latest_health_coverage)"

_PG_SET_FROM_NEW = f"""
UPDATE customers_account a
   SET latest_health_score = n.score, latest_health_band = n.band,
       latest_health_coverage = n.coverage
  FROM new_rows n
 WHERE n.is_latest AND a.id = n.account_id
   AND {_COLUMNS} IS DISTINCT FROM (n.score, n.band, n.coverage);
"""
_PG_CLEAR_FROM_OLD = """
UPDATE customers_account a
   SET latest_health_score = NULL, latest_health_band = NULL, latest_health_coverage = NULL
  FROM (SELECT DISTINCT account_id FROM old_rows WHERE is_latest) o
 WHERE a.id = o.account_id
   AND NOT EXISTS (SELECT 1 FROM health_healthscore h WHERE h.account_id = a.id AND h.is_latest);
"""
_PG_FUNCTIONS = {
    "health_latest_on_write": _PG_SET_FROM_NEW,
    "health_latest_on_delete": _PG_CLEAR_FROM_OLD,
}
_PG_TRIGGERS = [
    ("health_latest_ins", "INSERT", "NEW TABLE AS new_rows", "health_latest_on_write"),
    ("health_latest_upd", "UPDATE", "NEW TABLE AS new_rows", "health_latest_on_write"),
    ("health_latest_del", "DELETE", "OLD TABLE AS old_rows", "health_latest_on_delete"),
]
_PG_RESYNC = f"""
UPDATE customers_account a
   SET latest_health_score = h.score, latest_health_band = h.band,
       latest_health_coverage = h.coverage
  FROM health_healthscore h
 WHERE h.is_latest AND h.account_id = a.id
   AND {_COLUMNS} IS DISTINCT FROM (h.score, h.band, h.coverage);
UPDATE customers_account a
   SET latest_health_score = NULL, latest_health_band = NULL, latest_health_coverage = NULL
 WHERE a.latest_health_band IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM health_healthscore h WHERE h.account_id = a.id AND h.is_latest);
"""

_SQLITE_SET = (
    "UPDATE customers_account SET latest_health_score = NEW.score,"
    " latest_health_band = NEW.band, latest_health_coverage = NEW.coverage"
    " WHERE id = NEW.account_id;"
)
_SQLITE_TRIGGERS = {
    "health_latest_ins": f"AFTER INSERT ON health_healthscore WHEN NEW.is_latest BEGIN"
    f" {_SQLITE_SET} END",
    "health_latest_upd": f"AFTER UPDATE ON health_healthscore WHEN NEW.is_latest BEGIN"
    f" {_SQLITE_SET} END",
    "health_latest_del": "AFTER DELETE ON health_healthscore WHEN OLD.is_latest BEGIN"
    " UPDATE customers_account SET latest_health_score = NULL, latest_health_band = NULL,"
    " latest_health_coverage = NULL WHERE id = OLD.account_id AND NOT EXISTS (SELECT 1"
    " FROM health_healthscore WHERE account_id = OLD.account_id AND is_latest); END",
}
_SQLITE_RESYNC = [
    "UPDATE customers_account SET"
    f" {col} = (SELECT h.{src} FROM health_healthscore h"
    " WHERE h.account_id = customers_account.id AND h.is_latest)"
    for col, src in (
        ("latest_health_score", "score"),
        ("latest_health_band", "band"),
        ("latest_health_coverage", "coverage"),
    )
]


def health_latest_triggers_install(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Create (or replace) the triggers and copy the current latest snapshots onto the
    accounts whose columns differ."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, body in _PG_FUNCTIONS.items():
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql"
                    f" AS $fn$ BEGIN {body} RETURN NULL; END $fn$;"
                )
            for trigger, event, refs, function in _PG_TRIGGERS:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {trigger} AFTER {event} ON health_healthscore"
                    f" REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                )
            cursor.execute(_PG_RESYNC)
        elif connection.vendor == "sqlite":
            for trigger, body in _SQLITE_TRIGGERS.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                cursor.execute(f"CREATE TRIGGER {trigger} {body}")
            for statement in _SQLITE_RESYNC:
                cursor.execute(statement)


__all__ = ["health_latest_triggers_install"]
