"""`HealthWeekChange`: each account's latest score minus its newest score at least
`WEEK_DAYS` older (within `LOOKBACK_DAYS` before that), kept by statement triggers on the
latest pointers and the snapshots (PostgreSQL; installed and resynced after every
``migrate``).

Why maintained: the dashboard's "fell most this week" otherwise compares every account's
latest score with an older one on every render (1.8 s at 100,000 accounts with two
snapshots each, and it grows with the history kept). A write of snapshots recomputes the
rows of the accounts it touched (one index probe each, on the (account, as_of) key), so
a back-filled older snapshot moves the latest's delta too; the reader ignores a row whose
`as_of` is no longer its account's latest snapshot, so a deleted or superseded snapshot
never shows a stale fall. SQLite (make run) computes the falls per request instead.
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

WEEK_DAYS = 7
LOOKBACK_DAYS = 35  # as the per-request comparison's window (health_changes.LOOKBACK_DAYS)

_UPSERT = f"""
INSERT INTO portfolio_healthweekchange AS c (account_id, as_of, delta, band, previous_band)
SELECT p.account_id, p.as_of, l.score - b.score, l.band, prev.band
FROM ({{pointers}}) AS p
JOIN health_healthscore l ON l.id = p.snapshot_id
LEFT JOIN LATERAL (
    SELECT h.score FROM health_healthscore h
    WHERE h.account_id = l.account_id AND h.score IS NOT NULL
      AND h.as_of <= l.as_of - interval '{WEEK_DAYS} days'
      AND h.as_of > l.as_of - interval '{WEEK_DAYS + LOOKBACK_DAYS} days'
    ORDER BY h.as_of DESC, h.id DESC LIMIT 1
) b ON true
LEFT JOIN LATERAL (
    SELECT h.band FROM health_healthscore h
    WHERE h.account_id = l.account_id AND h.as_of < l.as_of
    ORDER BY h.as_of DESC, h.id DESC LIMIT 1
) prev ON true
ORDER BY 1
ON CONFLICT (account_id) DO UPDATE
SET as_of = EXCLUDED.as_of, delta = EXCLUDED.delta, band = EXCLUDED.band,
    previous_band = EXCLUDED.previous_band
WHERE (c.as_of, c.delta, c.band, c.previous_band)
      IS DISTINCT FROM (EXCLUDED.as_of, EXCLUDED.delta, EXCLUDED.band, EXCLUDED.previous_band);
"""  # noqa: S608 (constants only)
# The pointers whose accounts' rows are recomputed. A moved pointer: the trigger's own new
# rows. A snapshot written or edited at or before its account's latest (a back-fill, an
# edit of the latest's score): those accounts' pointers. The recompute's own new snapshots
# are newer than the pointer until the pointer moves, so they cost one pointer probe each
# here and are counted once, by the pointer's trigger. Neither joins the pointer table:
# the planner hashed all of it (100,000 rows, ~19 ms) for every 1,000-row statement; a
# scalar subquery and `= ANY(ARRAY(...))` are index probes per row, whatever its estimate.
_MOVED = "SELECT account_id, snapshot_id, as_of FROM new_rows"
_OLDER = (
    "SELECT p.account_id, p.snapshot_id, p.as_of FROM health_latesthealthscore p"
    " WHERE p.account_id = ANY(ARRAY(SELECT n.account_id FROM new_rows n"
    " WHERE n.as_of <= (SELECT q.as_of FROM health_latesthealthscore q"
    " WHERE q.account_id = n.account_id)))"
)
_ALL = "SELECT account_id, snapshot_id, as_of FROM health_latesthealthscore"


def health_week_change_triggers_install(
    connection: BaseDatabaseWrapper = default_connection,
) -> None:
    """Create (or replace) the triggers, then bring every row in line (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for function, pointers, table, events in (
            (
                "portfolio_week_change_moved",
                _MOVED,
                "health_latesthealthscore",
                ("INSERT", "UPDATE"),
            ),
            ("portfolio_week_change_older", _OLDER, "health_healthscore", ("INSERT", "UPDATE")),
        ):
            body = _UPSERT.format(pointers=pointers)
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger"
                f" LANGUAGE plpgsql AS $fn$ BEGIN {body} RETURN NULL; END $fn$;"
            )
            for event in events:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {table}_week_{event.lower()}"
                    f" AFTER {event} ON {table} REFERENCING NEW TABLE AS new_rows"
                    f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
                )
        cursor.execute(_UPSERT.format(pointers=_ALL))


__all__ = ["LOOKBACK_DAYS", "WEEK_DAYS", "health_week_change_triggers_install"]
