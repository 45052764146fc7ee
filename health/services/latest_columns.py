"""`Account.latest_health_score/band/coverage`: the latest snapshot's values copied onto
the account by triggers, so the portfolio list sorts by health on an index and reads band
and coverage without a subquery. Which snapshot is the latest is the account's
``LatestHealthScore`` pointer: triggers on the pointer table (the recompute moves the
pointers, an account deleted drops its pointer) and on in-place updates of a snapshot the
pointer names (a recompute of the same ``as_of``, the admin) copy its values. Only
changed values are written, so a daily recompute that moves few scores touches few
accounts. Installed after every ``migrate`` like the customers app's list triggers
(customers.services.list_columns), which this one's account updates feed into the
portfolio rollup.

A pointer deleted (its snapshot or account deleted) clears the columns, churn copy included.

The same pointer trigger copies the churn prediction stored at the pointer's new as_of
(``Account.churn_*``, health.services.churn_columns) in that one row update: the
recompute writes its predictions before it moves the pointers, so an account whose score
and prediction both changed gets one new row version, not two (each is a non-HOT update
through the account's 25 indexes and its statement triggers), and one whose score and
prediction did not change gets none.
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from health.scoring import MODEL_VERSION

_COLUMNS = "(latest_health_score, latest_health_band, latest_health_coverage)"

_CHURN = "(churn_probability, churn_calibration_id)"
# {version}: the current churn model's, quoted (health_latest_triggers_install). The churn
# copy is the prediction at the pointer's as_of, empty when that snapshot has none
# (health.services.churn_columns).
_PG_SET_FROM_POINTERS = f"""
UPDATE customers_account a
   SET latest_health_score = h.score, latest_health_band = h.band,
       latest_health_coverage = h.coverage,
       churn_probability = c.probability, churn_calibration_id = c.calibration_id
  FROM new_rows n JOIN health_healthscore h ON h.id = n.snapshot_id
  LEFT JOIN health_churnprediction c
    ON c.account_id = n.account_id AND c.as_of = n.as_of AND c.model_version = '{{version}}'
 WHERE a.id = n.account_id
   AND ({_COLUMNS} IS DISTINCT FROM (h.score, h.band, h.coverage)
        OR {_CHURN} IS DISTINCT FROM (c.probability, c.calibration_id));
"""
_PG_SET_FROM_SNAPSHOTS = f"""
UPDATE customers_account a
   SET latest_health_score = n.score, latest_health_band = n.band,
       latest_health_coverage = n.coverage
  FROM new_rows n JOIN health_latesthealthscore l ON l.snapshot_id = n.id
 WHERE a.id = n.account_id
   AND {_COLUMNS} IS DISTINCT FROM (n.score, n.band, n.coverage);
"""
_PG_CLEAR_FROM_OLD = """
UPDATE customers_account a
   SET latest_health_score = NULL, latest_health_band = NULL, latest_health_coverage = NULL,
       churn_probability = NULL, churn_calibration_id = NULL
  FROM (SELECT DISTINCT account_id FROM old_rows) o
 WHERE a.id = o.account_id
   AND NOT EXISTS (SELECT 1 FROM health_latesthealthscore l WHERE l.account_id = a.id);
"""
_PG_FUNCTIONS = {
    "health_latest_on_pointer": _PG_SET_FROM_POINTERS,
    "health_latest_on_snapshot": _PG_SET_FROM_SNAPSHOTS,
    "health_latest_on_delete": _PG_CLEAR_FROM_OLD,
}
_PG_TRIGGERS = [
    # (trigger, table, event, transition table, function)
    ("health_latest_ptr_ins", "health_latesthealthscore", "INSERT", "NEW TABLE AS new_rows",
     "health_latest_on_pointer"),
    ("health_latest_ptr_upd", "health_latesthealthscore", "UPDATE", "NEW TABLE AS new_rows",
     "health_latest_on_pointer"),
    ("health_latest_ptr_del", "health_latesthealthscore", "DELETE", "OLD TABLE AS old_rows",
     "health_latest_on_delete"),
    ("health_latest_upd", "health_healthscore", "UPDATE", "NEW TABLE AS new_rows",
     "health_latest_on_snapshot"),
]  # fmt: skip
# Triggers of the is_latest flag this pointer replaced (a snapshot insert no longer makes
# it the latest), dropped where an older install left them.
_OBSOLETE = [
    ("health_latest_ins", "health_healthscore"),
    ("health_latest_del", "health_healthscore"),
]
_PG_RESYNC = f"""
UPDATE customers_account a
   SET latest_health_score = h.score, latest_health_band = h.band,
       latest_health_coverage = h.coverage
  FROM health_latesthealthscore l JOIN health_healthscore h ON h.id = l.snapshot_id
 WHERE l.account_id = a.id
   AND {_COLUMNS} IS DISTINCT FROM (h.score, h.band, h.coverage);
UPDATE customers_account a
   SET latest_health_score = NULL, latest_health_band = NULL, latest_health_coverage = NULL
 WHERE a.latest_health_band IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM health_latesthealthscore l WHERE l.account_id = a.id);
"""

_SQLITE_SET = (
    "UPDATE customers_account SET"
    " latest_health_score = (SELECT score FROM health_healthscore WHERE id = NEW.snapshot_id),"
    " latest_health_band = (SELECT band FROM health_healthscore WHERE id = NEW.snapshot_id),"
    " latest_health_coverage = (SELECT coverage FROM health_healthscore"
    " WHERE id = NEW.snapshot_id)"
    " WHERE id = NEW.account_id;"
)
_SQLITE_TRIGGERS = {
    "health_latest_ptr_ins": f"AFTER INSERT ON health_latesthealthscore BEGIN {_SQLITE_SET} END",
    "health_latest_ptr_upd": f"AFTER UPDATE ON health_latesthealthscore BEGIN {_SQLITE_SET} END",
    "health_latest_ptr_del": "AFTER DELETE ON health_latesthealthscore BEGIN"
    " UPDATE customers_account SET latest_health_score = NULL, latest_health_band = NULL,"
    " latest_health_coverage = NULL, churn_probability = NULL, churn_calibration_id = NULL"
    " WHERE id = OLD.account_id AND NOT EXISTS (SELECT 1"
    " FROM health_latesthealthscore WHERE account_id = OLD.account_id); END",
    "health_latest_upd": "AFTER UPDATE ON health_healthscore WHEN EXISTS (SELECT 1"
    " FROM health_latesthealthscore WHERE snapshot_id = NEW.id) BEGIN"
    " UPDATE customers_account SET latest_health_score = NEW.score,"
    " latest_health_band = NEW.band, latest_health_coverage = NEW.coverage"
    " WHERE id = NEW.account_id; END",
}
_SQLITE_RESYNC = [
    "UPDATE customers_account SET"
    f" {col} = (SELECT h.{src} FROM health_latesthealthscore l"
    " JOIN health_healthscore h ON h.id = l.snapshot_id"
    " WHERE l.account_id = customers_account.id)"
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
            for trigger, table in _OBSOLETE:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            # The model version is a code constant written into the body; quote it anyway.
            version = MODEL_VERSION.replace("'", "''")
            for name, body in _PG_FUNCTIONS.items():
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql"
                    f" AS $fn$ BEGIN {body.replace('{version}', version)} RETURN NULL;"
                    " END $fn$;"
                )
            for trigger, table, event, refs, function in _PG_TRIGGERS:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {trigger} AFTER {event} ON {table}"
                    f" REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                )
            cursor.execute("DROP FUNCTION IF EXISTS health_latest_on_write()")
            cursor.execute(_PG_RESYNC)
        elif connection.vendor == "sqlite":
            for trigger, _table in _OBSOLETE:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            for trigger, body in _SQLITE_TRIGGERS.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
                cursor.execute(f"CREATE TRIGGER {trigger} {body}")
            for statement in _SQLITE_RESYNC:
                cursor.execute(statement)


__all__ = ["health_latest_triggers_install"]
