"""Every default-scorecard input for a set of accounts, as of a moment, in one query.

One SQL statement of grouped CTEs reads usage, tickets, surveys, activities, feature
adoption, contracts, renewals and onboarding for all accounts of a chunk (or the whole
portfolio) and returns raw sums and counts; the ratios are taken in Python. Windows are
passed as parameters computed from ``as_of``, so the SQL has no vendor date arithmetic and
runs on PostgreSQL and on the embedded SQLite alike.

Rules (see ``health.scoring.default_scorecard`` for each input's contract):

* ``None`` means unknown and carries a ``missing`` code saying why; 0 is a measured zero.
* Only rows dated at or before ``as_of`` are read, so a past ``as_of`` sees the data as it
  was. Facts kept without history (payment status, feature adoption, the account's seat
  count) exist only for a current ``as_of``; for a past one they are reported missing with
  ``no_history_for_past_as_of``, never guessed from today's value.
* Each input records its own ``as_of``: the time of the newest source row behind it (for a
  measured zero, the end of the window that was read).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from psycopg.types.datetime import TimestamptzLoader

from cs_platform.core.sql import pg_bigint_array, sql_literals
from cs_platform.core.tickets import TICKET_OPEN_STATUSES, TICKET_SEVERE_PRIORITIES
from customers.models import ContractStatus, MilestoneStatus, PlanStatus, RenewalStage
from health.models import SurveyKind
from health.selectors.health_inputs_derive import account_inputs_from_row
from health.selectors.health_inputs_sql import INPUTS_SQL
from health.selectors.health_inputs_types import (
    CURRENT_STATE_TOLERANCE,
    EXTRA_INPUT_KEYS,
    PROVIDED_INPUT_KEYS,
    SCORECARD_INPUT_KEYS,
    AccountInputs,
    Windows,
)

_ID_ALIASES = ("u", "t", "s", "x", "fa", "c", "r", "p")
# The constants the SQL compares with, built from the enums that define them.
_LITERALS = {
    "severe": sql_literals(TICKET_SEVERE_PRIORITIES),
    "open_statuses": sql_literals(TICKET_OPEN_STATUSES),
    "nps": sql_literals([SurveyKind.NPS]),
    "csat": sql_literals([SurveyKind.CSAT]),
    "contract_in_force": sql_literals([ContractStatus.ACTIVE, ContractStatus.EXPIRED]),
    "renewal_closed": sql_literals([RenewalStage.CLOSED]),
    "plan_completed": sql_literals([PlanStatus.COMPLETED]),
    "milestone_done": sql_literals([MilestoneStatus.DONE]),
    "milestone_skipped": sql_literals([MilestoneStatus.SKIPPED]),
}


def _sql_and_params(w: Windows, account_ids: Sequence[int] | None) -> tuple[str, dict[str, Any]]:
    ops = connection.ops
    params: dict[str, Any] = {
        "as_of": ops.adapt_datetimefield_value(w.as_of),
        "day": ops.adapt_datefield_value(w.day),
        "usage_last_start": ops.adapt_datefield_value(w.usage_last_start),
        "usage_prev_start": ops.adapt_datefield_value(w.usage_prev_start),
        "tickets_since": ops.adapt_datetimefield_value(w.tickets_since),
        "answers_since": ops.adapt_datetimefield_value(w.answers_since),
    }
    postgres = connection.vendor == "postgresql"
    range_filter = None
    if account_ids is None:
        in_list = None
    elif postgres:
        ids = sorted({int(i) for i in account_ids})
        params.update(ids=pg_bigint_array(ids), lo=ids[0], hi=ids[-1])
        in_list = "= ANY(%(ids)s::bigint[])"
        if ids[-1] - ids[0] < 2 * len(ids):
            # A dense chunk (the fan-out's chunks are runs of consecutive ids): a range
            # reads each table's (account_id, …) index as one contiguous slice, where
            # 1,000 separate probes (or a scan of a whole date range) cost several times more.
            range_filter = "BETWEEN %(lo)s AND %(hi)s"
    else:
        names = []
        for n, account_id in enumerate(account_ids):
            params[f"id{n}"] = int(account_id)
            names.append(f"%(id{n})s")
        in_list = f"IN ({', '.join(names)})"
    true = "TRUE" if postgres else "1 = 1"
    table_filter = range_filter or in_list
    filters = {
        f"ids_{alias}": f"{alias}.account_id {table_filter}" if table_filter else true
        for alias in _ID_ALIASES
    }
    sql = INPUTS_SQL.format(
        account_filter=f"a.id {in_list}" if in_list else true,
        **_LITERALS,
        **filters,
    )
    return sql, params


def health_inputs_for_accounts(
    account_ids: Sequence[int] | None, *, as_of: datetime, now: datetime | None = None
) -> dict[int, AccountInputs]:
    """Inputs of ``account_ids`` (None = every account) as of ``as_of``; one query."""
    w = Windows.for_as_of(as_of, now=now)
    if account_ids is not None and not account_ids:
        return {}
    sql, params = _sql_and_params(w, account_ids)
    # A transaction (the caller's, or one of its own) scopes SET LOCAL below: a plain SET
    # would stay on the connection and follow it back into the pool to other queries.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner's row estimates for the many LEFT JOINs are huge, which makes
            # PostgreSQL JIT-compile the query: ~1 s of compilation for a ~50 ms query.
            cursor.execute("SET LOCAL jit = off")
            # Django parses timestamptz with a Python-level loader (to attach its zone);
            # psycopg's C loader gives equal aware datetimes in the session's UTC at a
            # fraction of the cost (~6 per account). This cursor only.
            cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    return {
        row[0]: account_inputs_from_row(dict(zip(columns, row, strict=True)), w) for row in rows
    }


__all__ = [
    "CURRENT_STATE_TOLERANCE",
    "EXTRA_INPUT_KEYS",
    "PROVIDED_INPUT_KEYS",
    "SCORECARD_INPUT_KEYS",
    "AccountInputs",
    "Windows",
    "health_inputs_for_accounts",
]
