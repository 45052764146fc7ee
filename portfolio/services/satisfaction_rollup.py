"""`SatisfactionMonth`: survey answers counted per (owner, account status, month, kind,
score), kept by statement triggers in the writer's transaction (PostgreSQL; installed and
recounted after every ``migrate``).

Why: the dashboard's NPS/CSAT per month aggregated six months of answers of the whole book
on every render (150,000 answers at 100,000 accounts: 150-600 ms on the shared host). The
counts move by exact deltas: an answer written, edited or deleted adds and subtracts its
own (owner, status, month, kind, score); an account whose owner or status changes moves
its answers' counts from the old key to the new one. Months are in TIME_ZONE, like
TruncMonth. Applied as one grouped upsert per statement in key order, as the portfolio
rollup is, so concurrent writers lock rollup rows in the same order. SQLite (make run)
aggregates the answers per request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

_KEY = "owner_key, status, month, kind, score"


def _month(column: str) -> str:
    zone = settings.TIME_ZONE.replace("'", "''")
    return f"date_trunc('month', {column} AT TIME ZONE '{zone}')::date"


def _apply(parts: list[str]) -> str:
    union = " UNION ALL ".join(parts)
    return f"""
    INSERT INTO portfolio_satisfactionmonth AS r ({_KEY}, answers)
    SELECT k1, k2, k3, k4, k5, sum(n)
    FROM ({union}) AS d (k1, k2, k3, k4, k5, n)
    GROUP BY k1, k2, k3, k4, k5
    HAVING sum(n) <> 0
    ORDER BY k1, k2, k3, k4, k5
    ON CONFLICT ({_KEY}) DO UPDATE SET answers = r.answers + EXCLUDED.answers;
    """  # noqa: S608 (constants only)


def _answers(rows: str, sign: int) -> str:
    return (
        f"SELECT COALESCE(a.owner_id, 0), a.status, {_month('x.responded_at')}, x.kind,"  # noqa: S608
        f" x.score, {sign} FROM {rows} x JOIN customers_account a ON a.id = x.account_id"
    )


def _moved() -> str:
    """Answers of accounts whose owner or status changed: +1 under the new key, -1 under
    the old. An account's (id, owner, status) from both transition tables cancels out when
    the statement left those columns alone, so only moved accounts reach the answers. No
    join of the two transition tables: their plans are cached with a one-row estimate, and
    a nested loop over old x new rows cost ~200 ms per 1,000-account statement (the health
    recompute's churn copy updates every account of its chunk)."""
    keys = (
        "SELECT id, owner_id, status, 1 AS s FROM new_rows"
        " UNION ALL SELECT id, owner_id, status, -1 FROM old_rows"
    )
    return (
        f"SELECT COALESCE(m.owner_id, 0), m.status, {_month('x.responded_at')},"  # noqa: S608
        f" x.kind, x.score, m.s FROM (SELECT id, owner_id, status, max(s) AS s FROM ({keys})"
        " AS k GROUP BY id, owner_id, status HAVING count(*) = 1) AS m"
        " JOIN health_surveyresponse x ON x.account_id = m.id"
    )


def _functions() -> dict[str, tuple[str, str, tuple[str, str]]]:
    """function -> (body, table, (event, its transition tables))."""
    return {
        "portfolio_satisfaction_ins": (
            _apply([_answers("new_rows", 1)]),
            "health_surveyresponse",
            ("INSERT", "NEW TABLE AS new_rows"),
        ),
        "portfolio_satisfaction_upd": (
            _apply([_answers("new_rows", 1), _answers("old_rows", -1)]),
            "health_surveyresponse",
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ),
        "portfolio_satisfaction_del": (
            _apply([_answers("old_rows", -1)]),
            "health_surveyresponse",
            ("DELETE", "OLD TABLE AS old_rows"),
        ),
        "portfolio_satisfaction_acc": (
            _apply([_moved()]),
            "customers_account",
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ),
    }


_RECOUNT = f"""
DELETE FROM portfolio_satisfactionmonth;
INSERT INTO portfolio_satisfactionmonth ({_KEY}, answers)
SELECT COALESCE(a.owner_id, 0), a.status, {_month("x.responded_at")}, x.kind, x.score, count(*)
FROM health_surveyresponse x JOIN customers_account a ON a.id = x.account_id
GROUP BY 1, 2, 3, 4, 5;
"""  # noqa: S608 (constants only)


def satisfaction_rollup_triggers_install(
    connection: BaseDatabaseWrapper = default_connection,
) -> None:
    """Create (or replace) the triggers, then recount every row (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for function, (body, table, (event, refs)) in _functions().items():
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql"
                f" AS $fn$ BEGIN {body} RETURN NULL; END $fn$;"
            )
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {function} AFTER {event} ON {table}"
                f" REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
        cursor.execute(_RECOUNT)


__all__ = ["satisfaction_rollup_triggers_install"]
