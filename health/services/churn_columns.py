"""`Account.churn_probability/churn_calibration_id`: the current model's prediction at the
as_of of the account's latest pointer, copied onto the account by triggers, so
`identify_churn_risk` reads the riskiest accounts in order of probability x ARR
(`CHURN_ARR_AT_RISK`) on an index instead of joining and ranking every prediction.
Installed, with a resync, after every ``migrate`` (the model version is part of the
trigger, so a new model's deploy re-points them; accounts whose latest snapshot has no
prediction of it are cleared).

The copy always equals that prediction, or is empty when there is none, whichever the
writer does first:
- a prediction written at the pointer's as_of (the churn tool's refresh) is copied by the
  trigger on the predictions below;
- a pointer moved (the recompute writes its predictions first, then moves the pointers) is
  handled by the pointer trigger of health.services.latest_columns, which copies the latest
  score and this prediction in one row update, and empties the copy when the new snapshot
  has none.
Only changed values are written: a recompute whose probabilities did not move leaves the
account rows alone.
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from health.scoring import MODEL_VERSION

# The pointer as a scalar subquery: one index probe per prediction, where a join let the
# planner hash every pointer for each statement.
_PG_FROM_PREDICTIONS = """
UPDATE customers_account a
   SET churn_probability = n.probability, churn_calibration_id = n.calibration_id
  FROM new_rows n
 WHERE a.id = n.account_id AND n.model_version = '{version}'
   AND n.as_of = (SELECT p.as_of FROM health_latesthealthscore p
                   WHERE p.account_id = n.account_id)
   AND (a.churn_probability, a.churn_calibration_id)
       IS DISTINCT FROM (n.probability, n.calibration_id);
"""
_PG_FUNCTIONS = (("health_churn_on_prediction", _PG_FROM_PREDICTIONS, "health_churnprediction"),)
# The pointer's own copy trigger, merged into health_latest_on_pointer; dropped where an
# older install left it.
_PG_OBSOLETE = ("health_churn_on_pointer", "health_latesthealthscore")
# Every account's copy from its pointer's prediction (none: empty).
_PG_RESYNC = """
UPDATE customers_account a
   SET churn_probability = c.probability, churn_calibration_id = c.calibration_id
  FROM customers_account x
  LEFT JOIN health_latesthealthscore p ON p.account_id = x.id
  LEFT JOIN health_churnprediction c
    ON c.account_id = p.account_id AND c.as_of = p.as_of AND c.model_version = %(version)s
 WHERE a.id = x.id
   AND (a.churn_probability, a.churn_calibration_id)
       IS DISTINCT FROM (c.probability, c.calibration_id);
"""
_SQLITE_PREDICTION = (
    "UPDATE customers_account SET churn_probability = NEW.probability,"
    " churn_calibration_id = NEW.calibration_id"
    " WHERE id = NEW.account_id AND EXISTS (SELECT 1 FROM"
    " health_latesthealthscore p WHERE p.account_id = NEW.account_id"
    " AND p.as_of = NEW.as_of);"
)
_SQLITE_POINTER = (
    "UPDATE customers_account SET churn_probability = (SELECT c.probability FROM"
    " health_churnprediction c WHERE c.account_id = NEW.account_id AND c.as_of = NEW.as_of"
    " AND c.model_version = '{version}'), churn_calibration_id = (SELECT c.calibration_id"
    " FROM health_churnprediction c WHERE c.account_id = NEW.account_id"
    " AND c.as_of = NEW.as_of AND c.model_version = '{version}') WHERE id = NEW.account_id;"
)
_SQLITE_RESYNC = [
    f"UPDATE customers_account SET {col} = (SELECT c.{src} FROM health_latesthealthscore p"  # noqa: S608
    " JOIN health_churnprediction c ON c.account_id = p.account_id AND c.as_of = p.as_of"
    " AND c.model_version = %s WHERE p.account_id = customers_account.id)"
    for col, src in (
        ("churn_probability", "probability"),
        ("churn_calibration_id", "calibration_id"),
    )
]


def churn_columns_triggers_install(connection: BaseDatabaseWrapper = default_connection) -> None:
    """Create (or replace) the triggers for the current model version and bring every
    account's copy in line."""
    params = {"version": MODEL_VERSION}
    # The version is a code constant written into the trigger body; quote it anyway.
    quoted = MODEL_VERSION.replace("'", "''")
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for function, body, table in _PG_FUNCTIONS:
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger"
                    " LANGUAGE plpgsql AS $fn$ BEGIN"
                    f" {body.format(version=quoted)} RETURN NULL; END $fn$;"
                )
                for event in ("INSERT", "UPDATE"):
                    cursor.execute(
                        f"CREATE OR REPLACE TRIGGER {function}_{event.lower()} AFTER {event}"
                        f" ON {table} REFERENCING NEW TABLE AS new_rows"
                        f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                    )
            function, table = _PG_OBSOLETE
            for event in ("insert", "update"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {function}_{event} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")
            cursor.execute(_PG_RESYNC, params)
        elif connection.vendor == "sqlite":
            for event in ("INSERT", "UPDATE"):
                for name, table, when, body in (
                    (f"health_churn_prediction_{event.lower()}", "health_churnprediction",
                     f"WHEN NEW.model_version = '{quoted}'", _SQLITE_PREDICTION),
                    (f"health_churn_pointer_{event.lower()}", "health_latesthealthscore", "",
                     _SQLITE_POINTER.format(version=quoted)),
                ):  # fmt: skip
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                    cursor.execute(
                        f"CREATE TRIGGER {name} AFTER {event} ON {table} {when} BEGIN {body} END"
                    )
            for statement in _SQLITE_RESYNC:
                cursor.execute(statement, [MODEL_VERSION])


__all__ = ["churn_columns_triggers_install"]
