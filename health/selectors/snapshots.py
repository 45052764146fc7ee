"""Reads over stored health snapshots: latest, by id, the one N days older, trend points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import OuterRef, Subquery

from cs_platform.core.errors import NotFound
from health.models import HealthScore, LatestHealthScore
from health.models import Scorecard as ScorecardRow
from health.scoring import SCORED, Trend, score_trend
from health.scoring.stored import result_expand
from health.selectors.scorecards import scorecard_of

TREND_HORIZONS = (30, 90)


def snapshot_result(snapshot: HealthScore) -> dict[str, Any]:
    """A snapshot's full result document (``ScoreResult.to_dict()``): its stored form
    expanded against the scorecard version it was computed with (``health.scoring.stored``).
    Select the snapshot with ``select_related("scorecard")`` to avoid a query."""
    return result_expand(snapshot.result, scorecard_of(snapshot.scorecard))


@dataclass(frozen=True)
class HealthSummary:
    """What a list shows beside an account: the latest score, its band, how much of the
    scorecard's weight data backed it, and the measures that had no data (their labels)."""

    score: float | None
    band: str
    coverage: float
    missing: tuple[str, ...]


NO_SNAPSHOT = HealthSummary(None, "unknown", 0.0, ())


def health_summaries(account_ids: list[int]) -> dict[int, HealthSummary]:
    """Latest health of each account in one query (accounts never scored are absent: use
    ``NO_SNAPSHOT``). Meant for a page of accounts, not a whole portfolio."""
    out: dict[int, HealthSummary] = {}
    pointers = LatestHealthScore.objects.filter(account_id__in=account_ids)
    # The stored inputs are not needed, and a page's snapshots share a scorecard version or
    # two: each version's definition is read and parsed once, not once per snapshot (the
    # JSON decoding of both was ~5 ms of a 25-row page).
    snapshots = list(
        HealthScore.objects.filter(pk__in=pointers.values("snapshot_id")).defer("inputs")
    )
    cards = {
        row.pk: scorecard_of(row)
        for row in ScorecardRow.objects.filter(pk__in={s.scorecard_id for s in snapshots})
    }
    for s in snapshots:
        result = result_expand(s.result, cards[s.scorecard_id])
        out[s.account_id] = HealthSummary(
            score=None if s.score is None else float(s.score),
            band=s.band,
            coverage=float(s.coverage),
            missing=tuple(m["label"] for m in result.get("measures", ()) if m["status"] != SCORED),
        )
    return out


def latest_health(field: str, *, account: str = "pk") -> Subquery:
    """`field` (``score``, ``band``, ``as_of`` …) of the latest snapshot of the account at
    `account` (an outer reference), as one correlated subquery: annotating a page of
    accounts with it costs one SELECT, never a query per row. The account's
    ``LatestHealthScore`` names the snapshot (a primary-key lookup each)."""
    latest = HealthScore.objects.filter(latest_of__account_id=OuterRef(account))
    return Subquery(latest.values(field)[:1])


def health_snapshot_latest(account_id: int) -> HealthScore | None:
    return (
        HealthScore.objects.select_related("scorecard", "override")
        .filter(latest_of__account_id=account_id)
        .first()
    )


def health_snapshot_get(account_id: int, snapshot_id: int, *, field: str) -> HealthScore:
    """Snapshot ``snapshot_id`` of this account; another account's id looks missing."""
    snapshot = (
        HealthScore.objects.select_related("scorecard")
        .filter(account_id=account_id, pk=snapshot_id)
        .first()
    )
    if snapshot is None:
        raise NotFound(
            f"account {account_id} has no health snapshot {snapshot_id}",
            details={"field": field, "snapshot_id": snapshot_id},
        )
    return snapshot


def health_snapshot_at_or_before(account_id: int, moment: datetime) -> HealthScore | None:
    """The newest snapshot taken at or before ``moment`` (index ``account, -as_of``)."""
    return (
        HealthScore.objects.select_related("scorecard")
        .filter(account_id=account_id, as_of__lte=moment)
        .order_by("-as_of", "-id")
        .first()
    )


def health_snapshot_oldest(account_id: int) -> HealthScore | None:
    return HealthScore.objects.filter(account_id=account_id).order_by("as_of", "id").first()


def health_trend_for_account(
    account_id: int, current: HealthScore, horizons: tuple[int, ...] = TREND_HORIZONS
) -> Trend:
    """Trend of the computed score from stored snapshots: the current point and, per
    horizon, the newest scored snapshot at least that many days older (one query each),
    which is exactly the reference ``score_trend`` would pick from the whole history."""
    points = [(current.as_of, current.computed_score)]
    for days in horizons:
        reference = (
            HealthScore.objects.filter(
                account_id=account_id,
                as_of__lte=current.as_of - timedelta(days=days),
                computed_score__isnull=False,
            )
            .order_by("-as_of")
            .values_list("as_of", "computed_score")
            .first()
        )
        if reference is not None and reference not in points:
            points.append(reference)
    return score_trend(points, as_of=current.as_of, horizons_days=horizons)
