"""Manual overrides: a CSM's judgement replaces the displayed score, never the computed one."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime

from health.scoring.numbers import round_half_up
from health.scoring.result import OverrideOutcome, ScoreResult


@dataclass(frozen=True)
class Override:
    """A health override as the ``HealthOverride`` row holds it.

    ``expires_at`` None means it never expires; expiry is exclusive (an override expiring at
    10:00 is no longer active at 10:00). ``created_at`` (optional) makes an override inactive
    before it was made — useful when re-scoring history. ``revoked_at`` ends it early.
    """

    score: float
    reason: str
    author: str
    expires_at: datetime | None = None
    created_at: datetime | None = None
    revoked_at: datetime | None = None
    override_id: str | int | None = None

    def __post_init__(self) -> None:
        score = float(self.score)
        if not math.isfinite(score) or not 0 <= score <= 100:
            raise ValueError(f"override score must be within 0–100, got {self.score!r}")
        if not str(self.reason).strip():
            raise ValueError("an override needs a reason")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _check_comparable(at: datetime, *others: datetime | None) -> None:
    aware = at.tzinfo is not None
    for other in others:
        if other is not None and (other.tzinfo is not None) != aware:
            raise ValueError(
                "override datetimes and `at` must all be timezone-aware (or all naive)"
            )


def override_status(override: Override, at: datetime) -> str:
    """``active``, ``expired``, ``revoked`` or ``not_yet_active`` at the moment ``at``."""
    _check_comparable(at, override.expires_at, override.created_at, override.revoked_at)
    if override.created_at is not None and at < override.created_at:
        return "not_yet_active"
    if override.revoked_at is not None and at >= override.revoked_at:
        return "revoked"
    if override.expires_at is not None and at >= override.expires_at:
        return "expired"
    return "active"


def apply_override(result: ScoreResult, override: Override | None, at: datetime) -> ScoreResult:
    """Return ``result`` with ``override`` evaluated at ``at``.

    Active: ``score``/``band`` become the override's (band from the scorecard's thresholds);
    ``computed_score``/``computed_band`` and every contribution stay as computed, so the data's
    view stays visible. Expired, revoked or not yet active: the computed score is displayed
    and ``result.override`` records the status, so a UI can say "override expired on ...".
    ``override=None`` clears any earlier override. The input result is not modified.
    """
    if override is None:
        return dataclasses.replace(
            result, score=result.computed_score, band=result.computed_band, override=None
        )
    status = override_status(override, at)
    score = round_half_up(float(override.score), 1)
    outcome = OverrideOutcome(
        status=status,
        applied=status == "active",
        score=score,
        band=result.score_bands.band_for(score),
        reason=str(override.reason),
        author=str(override.author),
        expires_at=_iso(override.expires_at),
        created_at=_iso(override.created_at),
        override_id=override.override_id,
        evaluated_at=at.isoformat(),
    )
    if outcome.applied:
        return dataclasses.replace(result, score=score, band=outcome.band, override=outcome)
    return dataclasses.replace(
        result, score=result.computed_score, band=result.computed_band, override=outcome
    )
