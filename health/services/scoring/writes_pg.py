"""The PostgreSQL writer (DESIGN.md 10: COPY loads 60–100k rows/s, bulk_update ~1k).

Fresh snapshots (the daily case: nothing stored yet at this ``as_of``) are COPYed straight
into ``health_healthscore`` with ids drawn from its sequence beforehand, so the latest
pointers (``health_latesthealthscore``) move in one upsert without reading anything back;
the previous snapshots are not touched. Fresh predictions are COPYed likewise into
``health_churnprediction``. When some row of the chunk already exists at this ``as_of`` (a
retried task; predictions the identify_churn_risk tool wrote), that table's rows go through
a temporary staging table and ``INSERT … ON CONFLICT DO UPDATE``, which replaces them. One
query finds out which case applies.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from cs_platform.core.sql import pg_bigint_array
from cs_platform.core.upsert import on_conflict_clause
from health.models import ChurnPrediction, HealthScore
from health.services.scoring.scored_row import (
    PREDICTION_COLUMNS,
    PREDICTION_KEY,
    SCORE_COLUMNS,
    SCORE_KEY,
    ScoredRow,
)

# The staging columns are as wide as the table's (band: up to "insufficient_data").
_STAGE_SQL = """
CREATE TEMPORARY TABLE IF NOT EXISTS health_stage_scores (
    account_id bigint, score numeric(4,1), computed_score numeric(4,1), band varchar(20),
    coverage numeric(4,3), confidence varchar(8), inputs json, result json,
    override_id bigint
) ON COMMIT DELETE ROWS;
CREATE TEMPORARY TABLE IF NOT EXISTS health_stage_predictions (
    account_id bigint, probability numeric(5,4), risk_level varchar(8), factors json,
    coverage numeric(4,3), raw_probability numeric(5,4)
) ON COMMIT DELETE ROWS;
TRUNCATE health_stage_scores, health_stage_predictions;
"""


def _replacing(insert: str, model: type, key: tuple[str, ...], columns: tuple[str, ...]) -> str:
    """`insert` and the upsert builder's ON CONFLICT clause: a staged row replaces the
    stored one's other columns (the same keys and columns as the ORM path, writes.py)."""
    return insert + on_conflict_clause(model, key, update=[c for c in columns if c not in key])


_INSERT_SCORES_SQL = (
    _replacing(
        """
INSERT INTO health_healthscore (account_id, scorecard_id, as_of, computed_at, score,
    computed_score, band, coverage, confidence, inputs, result, override_id)
SELECT s.account_id, %(scorecard_id)s, %(as_of)s, %(now)s, s.score, s.computed_score, s.band,
       s.coverage, s.confidence, s.inputs, s.result, s.override_id
FROM health_stage_scores s
""",
        HealthScore,
        SCORE_KEY,
        SCORE_COLUMNS,
    )
    + " RETURNING account_id, id"
)

# The pointer keeps the newest as_of: a backfill of an older date leaves it where it is.
# Rows in account order, so concurrent writers lock pointers in the same order.
_POINT_LATEST_SQL = """
INSERT INTO health_latesthealthscore AS l (account_id, snapshot_id, as_of)
SELECT a, s, %(as_of)s
FROM unnest(%(point_accounts)s::bigint[], %(point_snapshots)s::bigint[]) AS u (a, s)
ORDER BY a
ON CONFLICT (account_id) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, as_of = EXCLUDED.as_of
WHERE l.as_of <= EXCLUDED.as_of
"""


_INSERT_PREDICTIONS_SQL = _replacing(
    """
INSERT INTO health_churnprediction (account_id, as_of, predicted_at, probability, risk_level,
    model_version, factors, coverage, raw_probability, calibration_id)
SELECT s.account_id, %(as_of)s, %(now)s, s.probability, s.risk_level, %(model_version)s,
       s.factors, s.coverage, s.raw_probability, %(calibration_id)s
FROM health_stage_predictions s
""",
    ChurnPrediction,
    PREDICTION_KEY,
    PREDICTION_COLUMNS,
)


def _num(value: float | None) -> str:
    return "\\N" if value is None else repr(value)


def _text(value: str) -> str:
    # COPY's text format treats backslash as an escape; JSON from json.dumps has no raw
    # tabs or newlines (they are escaped), so doubling backslashes is all it needs.
    return value.replace("\\", "\\\\")


def _score_line(r: ScoredRow) -> str:
    f = r.result
    override = "\\N" if f.override_id is None else str(int(f.override_id))
    return (
        f"{r.account_id}\t{_num(f.score)}\t{_num(f.computed_score)}\t{f.band}\t"
        f"{f.coverage!r}\t{f.confidence}\t{_text(r.inputs_json)}\t{_text(f.result_json)}\t"
        f"{override}\n"
    )


def _prediction_line(r: ScoredRow) -> str:
    return (
        f"{r.account_id}\t{r.probability!r}\t{r.risk_level}\t{_text(r.factors_json)}\t"
        f"{r.prediction_coverage!r}\t{_num(r.raw_probability)}\n"
    )


# A snapshot at this as_of can exist only for an account whose latest pointer is missing
# or not older than as_of (the pointer holds the newest as_of written); in the daily run
# no pointer is, so the snapshot index is not probed at all. Both lookups are scalar
# subqueries on purpose: one primary-key probe per id, where a semi-join let the planner
# hash the whole pointer table (100,000 rows) for every chunk. The same round trip draws
# the ids the COPY path gives its snapshots (unused when the staged path runs: a gap).
_EXISTING_SQL = """
SELECT i, 'same'
FROM unnest(%(ids)s::bigint[]) AS i
WHERE COALESCE((SELECT l.as_of >= %(as_of)s FROM health_latesthealthscore l
                WHERE l.account_id = i), true)
  AND (SELECT 1 FROM health_healthscore h
       WHERE h.account_id = i AND h.as_of = %(as_of)s AND h.scorecard_id = %(scorecard_id)s
       LIMIT 1) IS NOT NULL
UNION ALL
SELECT account_id, 'prediction'
FROM health_churnprediction
WHERE account_id = ANY(%(ids)s::bigint[]) AND model_version = %(model_version)s
  AND as_of = %(as_of)s
UNION ALL
SELECT nextval(pg_get_serial_sequence('health_healthscore', 'id')), 'next_id'
FROM generate_series(1, %(n)s)
"""

# Concurrent scorings of one account (two agents asking calculate_health_score at once)
# would each decide between COPY and upsert on what it saw before the other committed, and
# two at one as_of would collide on health_one_per_as_of. A small chunk (the tool's, a
# handful of accounts) takes a transaction lock per account first, in id order, so the
# second waits and then sees the first's rows. The daily recompute's chunks are disjoint
# and large (1,000 locks each would fill the lock table): they skip it.
_LOCK_NAMESPACE = 0x48534331  # "HSC1": health score chunk
_LOCKED_CHUNK_MAX = 100
_LOCK_ACCOUNTS_SQL = """
SELECT pg_advisory_xact_lock(%(ns)s, k)
FROM (SELECT DISTINCT (id %% 2147483647)::int AS k
      FROM unnest(%(ids)s::bigint[]) AS id ORDER BY k) AS keys
"""


def _direct_line(r: ScoredRow, snapshot_id: int, head: str) -> str:
    f = r.result
    override = "\\N" if f.override_id is None else str(int(f.override_id))
    return (
        f"{snapshot_id}\t{r.account_id}\t{head}\t{_num(f.score)}\t{_num(f.computed_score)}\t"
        f"{f.band}\t{f.coverage!r}\t{f.confidence}\t{_text(r.inputs_json)}\t"
        f"{_text(f.result_json)}\t{override}\n"
    )


def _direct_prediction_line(r: ScoredRow, head: str, model_version: str, tail: str) -> str:
    return (
        f"{r.account_id}\t{head}\t{r.probability!r}\t{r.risk_level}\t{model_version}\t"
        f"{_text(r.factors_json)}\t{r.prediction_coverage!r}\t{_num(r.raw_probability)}\t"
        f"{tail}\n"
    )


def write_postgresql(
    rows: list[ScoredRow], scorecard_id: int, as_of: datetime, now: datetime, model_version: str,
    calibration_id: int | None = None,
) -> int:  # fmt: skip
    predictions = [r for r in rows if r.probability is not None]
    ids = [r.account_id for r in rows]
    params = {
        "as_of": as_of, "now": now, "scorecard_id": scorecard_id, "ids": pg_bigint_array(ids),
        "model_version": model_version, "calibration_id": calibration_id, "n": len(rows),
    }  # fmt: skip
    with connection.cursor() as cursor:
        if len(ids) <= _LOCKED_CHUNK_MAX:
            cursor.execute(_LOCK_ACCOUNTS_SQL, {"ns": _LOCK_NAMESPACE, "ids": params["ids"]})
        cursor.execute(_EXISTING_SQL, params)
        existing = cursor.fetchall()
        snapshot_ids = [value for value, kind in existing if kind == "next_id"]
        kinds = {kind for _, kind in existing}
        raw = cursor.cursor  # psycopg 3 cursor underneath Django's wrapper
        if "same" in kinds or "prediction" in kinds:
            cursor.execute(_STAGE_SQL)
        if "same" in kinds:
            with raw.copy(
                "COPY health_stage_scores (account_id, score, computed_score, band, coverage,"
                " confidence, inputs, result, override_id) FROM STDIN"
            ) as copy:
                copy.write("".join(_score_line(r) for r in rows))
            cursor.execute(_INSERT_SCORES_SQL, params)
            written = dict(cursor.fetchall())
        else:
            written = {r.account_id: i for r, i in zip(rows, snapshot_ids, strict=True)}
            head = f"{scorecard_id}\t{as_of.isoformat()}\t{now.isoformat()}"
            with raw.copy(
                "COPY health_healthscore (id, account_id, scorecard_id, as_of, computed_at,"
                " score, computed_score, band, coverage, confidence, inputs, result,"
                " override_id) FROM STDIN"
            ) as copy:
                copy.write(
                    "".join(
                        _direct_line(r, i, head) for r, i in zip(rows, snapshot_ids, strict=True)
                    )
                )
        # Predictions before the pointers move: the pointers' trigger then copies each
        # account's new latest score and its prediction onto the account in one row update
        # (health.services.latest_columns), instead of one update per table.
        if predictions:
            if "prediction" in kinds:
                # Some exist at this as_of already (a retried chunk, or the churn tool ran).
                with raw.copy(
                    "COPY health_stage_predictions (account_id, probability, risk_level, factors,"
                    " coverage, raw_probability) FROM STDIN"
                ) as copy:
                    copy.write("".join(_prediction_line(r) for r in predictions))
                cursor.execute(_INSERT_PREDICTIONS_SQL, params)
            else:
                head = f"{as_of.isoformat()}\t{now.isoformat()}"
                tail = "\\N" if calibration_id is None else str(int(calibration_id))
                with raw.copy(
                    "COPY health_churnprediction (account_id, as_of, predicted_at, probability,"
                    " risk_level, model_version, factors, coverage, raw_probability,"
                    " calibration_id) FROM STDIN"
                ) as copy:
                    copy.write(
                        "".join(
                            _direct_prediction_line(r, head, model_version, tail)
                            for r in predictions
                        )
                    )
        accounts = sorted(written)
        params["point_accounts"] = pg_bigint_array(accounts)
        params["point_snapshots"] = pg_bigint_array(written[a] for a in accounts)
        cursor.execute(_POINT_LATEST_SQL, params)
    return len(predictions)
