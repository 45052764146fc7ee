"""`Account.churn_probability/churn_as_of`: the current model's prediction for the latest
snapshot, copied onto the account by triggers on ``health_churnprediction`` (whatever
writes it: the recompute's COPY, the churn tool's refresh), so `identify_churn_risk` reads
the riskiest accounts in order of probability x ARR (`CHURN_ARR_AT_RISK`) on
an index instead of joining and ranking every prediction. Installed, with a resync, after
every ``migrate`` (the model version is part of the trigger, so a new model's deploy
re-points them; accounts whose latest snapshot has no prediction of it are cleared).

A prediction is copied when its as_of is the account's latest pointer's (a trigger on the
predictions) and when the pointer moves to an as_of that has one (a trigger on the
pointers), whichever the writer does first. A pointer moved to a snapshot without a
prediction leaves the old copy, which the reader ignores (it checks `churn_as_of` against
the pointer).
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from health.scoring import MODEL_VERSION

_PG_FROM_PREDICTIONS = """
UPDATE customers_account a
   SET churn_probability = n.probability, churn_as_of = n.as_of,
       churn_calibration_id = n.calibration_id
  FROM new_rows n
  JOIN health_latesthealthscore p ON p.account_id = n.account_id AND p.as_of = n.as_of
 WHERE a.id = n.account_id AND n.model_version = '{version}'
   AND (a.churn_probability, a.churn_as_of, a.churn_calibration_id)
       IS DISTINCT FROM (n.probability, n.as_of, n.calibration_id);
"""
_PG_FROM_POINTERS = """
UPDATE customers_account a
   SET churn_probability = c.probability, churn_as_of = c.as_of,
       churn_calibration_id = c.calibration_id
  FROM new_rows n
  JOIN health_churnprediction c
    ON c.account_id = n.account_id AND c.as_of = n.as_of AND c.model_version = '{version}'
 WHERE a.id = n.account_id
   AND (a.churn_probability, a.churn_as_of, a.churn_calibration_id)
       IS DISTINCT FROM (c.probability, c.as_of, c.calibration_id);
"""
_PG_FUNCTIONS = (
    ("health_churn_on_prediction", _PG_FROM_PREDICTIONS, "health_churnprediction"),
    ("health_churn_on_pointer", _PG_FROM_POINTERS, "health_latesthealthscore"),
)
_PG_RESYNC = """
UPDATE customers_account a
   SET churn_probability = c.probability, churn_as_of = c.as_of,
       churn_calibration_id = c.calibration_id
  FROM health_latesthealthscore p
  JOIN health_churnprediction c
    ON c.account_id = p.account_id AND c.as_of = p.as_of AND c.model_version = %(version)s
 WHERE p.account_id = a.id
   AND (a.churn_probability, a.churn_as_of, a.churn_calibration_id)
       IS DISTINCT FROM (c.probability, c.as_of, c.calibration_id);
"""
_CLEAR = """
UPDATE customers_account
   SET churn_probability = NULL, churn_as_of = NULL, churn_calibration_id = NULL
 WHERE churn_probability IS NOT NULL AND NOT EXISTS (
     SELECT 1 FROM health_latesthealthscore p JOIN health_churnprediction c
         ON c.account_id = p.account_id AND c.as_of = p.as_of AND c.model_version = %(version)s
      WHERE p.account_id = customers_account.id)
"""
_SQLITE_PREDICTION = (
    "UPDATE customers_account SET churn_probability = NEW.probability,"
    " churn_as_of = NEW.as_of, churn_calibration_id = NEW.calibration_id"
    " WHERE id = NEW.account_id AND EXISTS (SELECT 1 FROM"
    " health_latesthealthscore p WHERE p.account_id = NEW.account_id"
    " AND p.as_of = NEW.as_of);"
)
_SQLITE_POINTER = (
    "UPDATE customers_account SET churn_probability = (SELECT c.probability FROM"
    " health_churnprediction c WHERE c.account_id = NEW.account_id AND c.as_of = NEW.as_of"
    " AND c.model_version = '{version}'), churn_calibration_id = (SELECT c.calibration_id"
    " FROM health_churnprediction c WHERE c.account_id = NEW.account_id"
    " AND c.as_of = NEW.as_of AND c.model_version = '{version}'),"
    " churn_as_of = NEW.as_of WHERE id = NEW.account_id"
    " AND EXISTS (SELECT 1 FROM health_churnprediction c WHERE c.account_id = NEW.account_id"
    " AND c.as_of = NEW.as_of AND c.model_version = '{version}');"
)
_SQLITE_RESYNC = [
    f"UPDATE customers_account SET {col} = (SELECT c.{src} FROM health_latesthealthscore p"  # noqa: S608
    " JOIN health_churnprediction c ON c.account_id = p.account_id AND c.as_of = p.as_of"
    " AND c.model_version = %s WHERE p.account_id = customers_account.id)"
    for col, src in (
        ("churn_probability", "probability"),
        ("churn_as_of", "as_of"),
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
            cursor.execute(_PG_RESYNC, params)
            cursor.execute(_CLEAR, params)
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
