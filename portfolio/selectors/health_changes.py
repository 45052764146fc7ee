"""Why an account's health moved, in words, for lists of accounts (the dashboard, my day).

The words are `health.scoring.explain_change`'s, the logic behind the
`explain_health_change` tool, applied to the stored snapshots: for N accounts it costs two
queries (the latest snapshots with the id of the one `days` older, then those older
snapshots), never a query per account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from cs_platform.core import clock
from health.models import HealthScore, LatestHealthScore
from health.scoring import explain_change
from health.selectors.snapshots import snapshot_result
from portfolio.services.health_week_change import LOOKBACK_DAYS, WEEK_DAYS


@dataclass(frozen=True)
class HealthChange:
    account_id: int
    score: Decimal | None
    band: str
    previous_score: Decimal | None
    previous_band: str | None
    delta: Decimal | None
    reason: str  # the measure that moved the score most, or why nothing compares
    summary: str  # explain_change's paragraph
    reasons: tuple[str, ...] = ()  # every measure that moved, largest move first
    previous_as_of: datetime | None = None


def _older(days: int) -> QuerySet:
    """Snapshots of the same account at least `days` older (0: any earlier one)."""
    if days == 0:
        return HealthScore.objects.filter(
            account_id=OuterRef("account_id"), as_of__lt=OuterRef("as_of")
        )
    return HealthScore.objects.filter(
        account_id=OuterRef("account_id"), as_of__lte=OuterRef("as_of") - timedelta(days=days)
    )


def _previous_id(days: int) -> Coalesce:
    """The newest snapshot at least `days` older; when the history is shorter than that,
    the oldest earlier one (the change over the whole history there is)."""
    newest_old_enough = Subquery(_older(days).order_by("-as_of", "-id").values("id")[:1])
    oldest_earlier = Subquery(_older(0).order_by("as_of", "id").values("id")[:1])
    return Coalesce(newest_old_enough, oldest_earlier)


def previous_band(days: int = 0) -> Subquery:
    """The band of the snapshot before (or at least `days` before) the outer one."""
    return Subquery(_older(days).order_by("-as_of", "-id").values("band")[:1])


def health_drops_latest(
    accounts: QuerySet,
    *,
    days: int,
    limit: int,
    now: datetime | None = None,
    one_book: bool = False,
) -> list[int]:
    """Ids of the latest snapshots of `accounts` whose score fell most against each
    account's newest snapshot at least `days` older (and within five weeks before that),
    taken in the last `days`: largest fall first; rises and unscored accounts left out.

    On PostgreSQL the falls of a week are maintained per account
    (portfolio.services.health_week_change) and read in order from a partial index: the
    query stops after `limit` rows whatever the number of accounts. Other windows, and
    SQLite (make run), compare in one statement per request. `one_book`: `accounts` is
    one owner's book (~2,000), read from the book's side instead (the largest falls of the
    whole portfolio may belong to other books: walking them in order could pass most of
    the portfolio before ten of this book's come up)."""
    moment = now or clock.now()
    cutoff = moment - timedelta(days=days)
    scope_sql, scope_params = accounts.order_by().values("pk").query.sql_with_params()
    latest = LatestHealthScore._meta.db_table
    if connection.vendor == "postgresql" and days == WEEK_DAYS:
        scope = (
            f"WITH book AS MATERIALIZED ({scope_sql}) SELECT pk FROM book"  # noqa: S608
            if one_book
            else scope_sql
        )
        sql = f"""
            SELECT p.snapshot_id FROM portfolio_healthweekchange c
            JOIN {latest} p ON p.account_id = c.account_id AND p.as_of = c.as_of
            WHERE c.delta < 0 AND c.as_of > %s AND c.account_id IN ({scope})
            ORDER BY c.delta, c.account_id
            LIMIT %s
        """  # noqa: S608 (table names are the models'; every value is a parameter)
        with connection.cursor() as cursor:
            cursor.execute(sql, [cutoff, *scope_params, limit])
            return [row[0] for row in cursor.fetchall()]
    return _drops_compared(scope_sql, scope_params, moment=moment, days=days, limit=limit)


def _drops_compared(
    scope_sql: str, scope_params: tuple, *, moment: datetime, days: int, limit: int
) -> list[int]:
    """The same list computed from the snapshots: each account's latest against its newest
    snapshot at least `days` older, in one statement (no lookup per account)."""
    table = HealthScore._meta.db_table
    latest = LatestHealthScore._meta.db_table
    if connection.vendor == "postgresql":
        before = f"""
            SELECT DISTINCT ON (p.account_id) p.account_id, h.score
            FROM {latest} p JOIN {table} h ON h.account_id = p.account_id
            WHERE p.account_id IN ({scope_sql})
              AND h.as_of <= p.as_of - %s AND h.as_of > p.as_of - %s
              AND h.score IS NOT NULL
            ORDER BY p.account_id, h.as_of DESC, h.id DESC
        """  # noqa: S608
        span = [timedelta(days=days), timedelta(days=days + LOOKBACK_DAYS)]
    else:  # SQLite (make run) has no DISTINCT ON: the same row by a window function
        before = f"""
            SELECT account_id, score FROM (
                SELECT p.account_id, h.score, ROW_NUMBER() OVER (
                    PARTITION BY p.account_id ORDER BY h.as_of DESC, h.id DESC) AS n
                FROM {latest} p JOIN {table} h ON h.account_id = p.account_id
                WHERE p.account_id IN ({scope_sql})
                  AND h.as_of <= datetime(p.as_of, %s) AND h.as_of > datetime(p.as_of, %s)
                  AND h.score IS NOT NULL
            ) ranked WHERE n = 1
        """  # noqa: S608
        span = [f"-{days} days", f"-{days + LOOKBACK_DAYS} days"]
    sql = f"""
        WITH before AS ({before})
        SELECT l.id FROM {latest} p JOIN {table} l ON l.id = p.snapshot_id
        JOIN before b ON b.account_id = p.account_id
        WHERE l.score IS NOT NULL AND l.score < b.score AND p.as_of > %s
        ORDER BY l.score - b.score, l.account_id
        LIMIT %s
    """  # noqa: S608 (the table names are the models'; every value is a parameter)
    params = [*scope_params, *span, moment - timedelta(days=days), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _top_reason(explanation: object) -> str:
    for measure in explanation.measures:
        if measure.contribution_delta:
            return measure.reason
    return explanation.summary


def health_changes_explained(snapshot_ids: Iterable[int], *, days: int) -> dict[int, HealthChange]:
    """For each latest snapshot id: the change against the newest snapshot at least
    `days` older (0: the one before it; the oldest earlier one when the history is
    shorter), keyed by account id. Two queries whatever the number of ids."""
    ids = list(snapshot_ids)
    if not ids:
        return {}
    latest = list(
        HealthScore.objects.filter(pk__in=ids)
        .select_related("scorecard")
        .annotate(previous_id=_previous_id(days))
    )
    previous = {
        s.pk: s
        for s in HealthScore.objects.filter(
            pk__in=[s.previous_id for s in latest if s.previous_id]
        ).select_related("scorecard")
    }
    changes: dict[int, HealthChange] = {}
    for snap in latest:
        before = previous.get(snap.previous_id)
        if before is None:
            changes[snap.account_id] = HealthChange(
                account_id=snap.account_id,
                score=snap.score,
                band=snap.band,
                previous_score=None,
                previous_band=None,
                delta=None,
                reason="First snapshot: nothing to compare with",
                summary="",
            )
            continue
        explanation = explain_change(snapshot_result(before), snapshot_result(snap))
        delta = None
        if snap.score is not None and before.score is not None:
            delta = snap.score - before.score
        changes[snap.account_id] = HealthChange(
            account_id=snap.account_id,
            score=snap.score,
            band=snap.band,
            previous_score=before.score,
            previous_band=before.band,
            delta=delta,
            reason=_top_reason(explanation),
            summary=explanation.summary,
            reasons=tuple(m.reason for m in explanation.measures if m.contribution_delta),
            previous_as_of=before.as_of,
        )
    return changes


__all__ = ["HealthChange", "health_changes_explained", "health_drops_latest", "previous_band"]
