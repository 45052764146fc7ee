"""Score trend from stored snapshots: deltas over fixed horizons, never invented.

A delta over N days compares the current point with the *nearest stored point at or before*
``current.as_of - N days``. When no stored point is that old the delta is None with
``reason="no_point_old_enough"`` — a young account has no 90-day trend, not a flat one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from health.scoring.numbers import round_half_up

DEFAULT_HORIZONS = (30, 90)
DEFAULT_STABLE_WITHIN = 5.0


@dataclass(frozen=True)
class TrendWindow:
    """The change over one horizon. ``reference_*`` describe the point compared against."""

    days: int
    delta: float | None
    direction: str
    reference_as_of: str | None
    reference_score: float | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Trend:
    """``direction`` is the direction of the shortest horizon that has a delta
    (``direction_basis_days`` says which); ``unknown`` when none has."""

    current_as_of: str | None
    current_score: float | None
    windows: tuple[TrendWindow, ...]
    direction: str
    direction_basis_days: int | None
    points_used: int

    def window(self, days: int) -> TrendWindow:
        for w in self.windows:
            if w.days == days:
                return w
        raise KeyError(days)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["windows"] = [w.to_dict() for w in self.windows]
        return data


def direction_label(delta: float | None, stable_within: float = DEFAULT_STABLE_WITHIN) -> str:
    """``improving`` / ``declining`` when ``|delta| >= stable_within`` points, else ``stable``;
    ``unknown`` without a delta. Five points is the default because daily re-scoring moves
    scores by a few points from noise alone (one more ticket, one survey answer)."""
    if delta is None:
        return "unknown"
    if delta >= stable_within:
        return "improving"
    if delta <= -stable_within:
        return "declining"
    return "stable"


def score_trend(
    points: Iterable[tuple[datetime, float | Decimal | None]],
    *,
    as_of: datetime | None = None,
    horizons_days: Sequence[int] = DEFAULT_HORIZONS,
    stable_within: float = DEFAULT_STABLE_WITHIN,
) -> Trend:
    """Trend of a score series given as ``(as_of, score)`` points in any order.

    The current point is the latest point at or before ``as_of`` (default: the latest
    point). Horizons are measured from the current point's ``as_of``. Points whose score is
    None (no data that day) are never used as the reference; the nearest older point with
    a score is used instead and its ``reference_as_of`` says how old it really is. A current
    score of None makes every delta None (``reason="no_current_score"``).
    """
    pairs = [(t, None if s is None else float(s)) for t, s in points]
    aware = {t.tzinfo is not None for t, _ in pairs}
    if as_of is not None:
        aware.add(as_of.tzinfo is not None)
    if len(aware) > 1:
        raise ValueError("trend points and as_of must all be timezone-aware (or all naive)")
    series = sorted(pairs, key=lambda p: p[0])
    if as_of is not None:
        series = [p for p in series if p[0] <= as_of]
    if not series:
        windows = tuple(
            TrendWindow(d, None, "unknown", None, None, "no_points") for d in horizons_days
        )
        return Trend(None, None, windows, "unknown", None, 0)
    current_at, current_score = series[-1]
    windows = []
    for days in horizons_days:
        horizon = current_at - timedelta(days=days)
        older = [p for p in series if p[0] <= horizon and p[1] is not None]
        if current_score is None:
            windows.append(TrendWindow(days, None, "unknown", None, None, "no_current_score"))
        elif not older:
            windows.append(TrendWindow(days, None, "unknown", None, None, "no_point_old_enough"))
        else:
            ref_at, ref_score = older[-1]
            delta = round_half_up(current_score - ref_score, 1)
            windows.append(
                TrendWindow(
                    days,
                    delta,
                    direction_label(delta, stable_within),
                    ref_at.isoformat(),
                    ref_score,
                    None,
                )
            )
    basis = next((w for w in sorted(windows, key=lambda w: w.days) if w.delta is not None), None)
    return Trend(
        current_as_of=current_at.isoformat(),
        current_score=current_score,
        windows=tuple(windows),
        direction=basis.direction if basis else "unknown",
        direction_basis_days=basis.days if basis else None,
        points_used=len(series),
    )
