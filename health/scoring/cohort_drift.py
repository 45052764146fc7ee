"""Cohort drift: did a cohort's median usage (or median health score, ``cohort_health_drift``
below) move beyond its own week-to-week variation?

Pure. Input per account: active-user totals of consecutive 7-day weeks, newest first
(``weeks[0]`` = the last 7 days). For each week the account's change is
``100 × (weeks[k] − weeks[k+1]) / weeks[k+1]`` (undefined without a baseline). The cohort's
move in week k is the median of its accounts' changes; its normal variation is the mean and
population standard deviation of the moves in the baseline weeks (k = 1 … n). The latest
move is drift when

    |move₀ − mean| > sigma × max(std, min_std_pct)   and   |move₀| ≥ min_move_pct

with at least ``min_accounts`` accounts having a change in the last week. ``min_std_pct``
keeps a cohort that never moved from calling a 2 % wobble a drift. The accounts that drive
the move are those whose own change lies on the move's side of the baseline mean, largest
first.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from health.scoring.numbers import round_half_up


@dataclass(frozen=True)
class CohortDrift:
    move_pct: float  # median change of the last week
    baseline_mean_pct: float
    baseline_std_pct: float
    z: float | None  # (move - mean) / std; None for a flat baseline
    accounts: int  # accounts with a change in the last week
    drivers: tuple[tuple[int, float], ...]  # (account id, its change %), largest move first


def week_changes(weeks: Sequence[float | None]) -> list[float | None]:
    """Per week k (newest first) the change against week k + 1, in %."""
    out: list[float | None] = []
    for k in range(len(weeks) - 1):
        now, before = weeks[k], weeks[k + 1]
        out.append(None if not before or now is None else 100.0 * (now - before) / before)
    return out


def cohort_drift(
    accounts: Mapping[int, Sequence[float | None]],
    *,
    sigma: float,
    min_move_pct: float,
    min_std_pct: float,
    min_accounts: int,
    max_drivers: int = 5,
) -> CohortDrift | None:
    """The cohort's drift in the last week, or None when it moved within its normal range
    (or is too small / has too little history to say)."""
    changes = {a: week_changes(w) for a, w in accounts.items()}
    span = max((len(c) for c in changes.values()), default=0)
    moves: list[float | None] = []
    for k in range(span):
        values = [c[k] for c in changes.values() if k < len(c) and c[k] is not None]
        moves.append(statistics.median(values) if values else None)
    latest = [(a, c[0]) for a, c in changes.items() if c and c[0] is not None]
    return _judge(moves, latest, sigma, min_move_pct, min_std_pct, min_accounts, max_drivers)


def _judge(
    moves: list[float | None],
    latest: list[tuple[int, float]],
    sigma: float,
    min_move: float,
    min_std: float,
    min_accounts: int,
    max_drivers: int,
) -> CohortDrift | None:
    """The rule shared by usage (moves in %) and health (moves in points)."""
    baseline = [m for m in moves[1:] if m is not None]
    if len(latest) < min_accounts or len(baseline) < 2 or not moves or moves[0] is None:
        return None
    move = moves[0]
    mean = statistics.fmean(baseline)
    std = statistics.pstdev(baseline)
    if abs(move - mean) <= sigma * max(std, min_std) or abs(move) < min_move:
        return None
    side = -1 if move < mean else 1
    drivers = sorted(
        ((a, c) for a, c in latest if (c - mean) * side > 0), key=lambda t: (-abs(t[1]), t[0])
    )
    return CohortDrift(
        move_pct=round_half_up(move, 1),
        baseline_mean_pct=round_half_up(mean, 1),
        baseline_std_pct=round_half_up(std, 1),
        z=round_half_up((move - mean) / std, 2) if std else None,
        accounts=len(latest),
        drivers=tuple((a, round_half_up(c, 1)) for a, c in drivers[:max_drivers]),
    )


@dataclass(frozen=True)
class HealthDrift:
    """A cohort's health drift: ``drift`` holds the move and baseline in score points (its
    ``*_pct`` fields are points here) and the drivers' own changes in points."""

    median_before: float
    median_now: float
    drift: CohortDrift


def cohort_health_drift(
    accounts: Mapping[int, Sequence[float | None]],
    *,
    sigma: float,
    min_move_points: float,
    min_std_points: float,
    min_accounts: int,
    max_drivers: int = 5,
) -> HealthDrift | None:
    """Did the cohort's median health score move beyond its own week-to-week variation?

    Input per account: its health score per 7-day week, newest first (None: not scored that
    week). The cohort's move in week k is median(scores in week k) − median(scores in week
    k + 1), both over the accounts scored in both weeks, so an account joining or leaving
    the cohort's data does not move it. The rule is the usage one, in points.
    """
    span = max((len(w) for w in accounts.values()), default=0)
    moves: list[float | None] = []
    medians: list[tuple[float, float] | None] = []
    for k in range(span - 1):
        pairs = [
            (w[k], w[k + 1])
            for w in accounts.values()
            if len(w) > k + 1 and w[k] is not None and w[k + 1] is not None
        ]
        if not pairs:
            moves.append(None)
            medians.append(None)
            continue
        now = statistics.median(p[0] for p in pairs)
        before = statistics.median(p[1] for p in pairs)
        moves.append(now - before)
        medians.append((before, now))
    latest = [
        (a, w[0] - w[1])
        for a, w in accounts.items()
        if len(w) > 1 and w[0] is not None and w[1] is not None
    ]
    drift = _judge(moves, latest, sigma, min_move_points, min_std_points, min_accounts, max_drivers)
    if drift is None:
        return None
    before, now = medians[0]
    return HealthDrift(round_half_up(before, 1), round_half_up(now, 1), drift)
