"""The result of scoring one account, and its JSON form (what a snapshot stores).

Conventions used in every number below:

* weights are fractions of the whole score (0–1), never percentages;
* ``contribution`` is points of the score: ``effective_weight × measure score``. The
  contributions are rounded to two decimals with a largest-remainder correction so that they
  add up exactly to the computed score taken at two decimals — hence to within 0.05 of
  ``computed_score``, which is shown with one decimal;
* ``score`` is what is displayed (an active override replaces it); ``computed_score`` is what
  the data says and is always kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from health.scoring.bands import BandHit
from health.scoring.definitions import ScoreBands

RESULT_SCHEMA = "health.score_result/1"

SCORED = "scored"
MISSING_DROPPED = "missing_dropped"
MISSING_FIXED = "missing_fixed"


@dataclass(frozen=True)
class MeasureResult:
    """One measure of one account.

    ``status``: ``scored`` (input present and mapped), ``missing_dropped`` (no usable input;
    weight 0; others re-normalised) or ``missing_fixed`` (no usable input; scored with the
    policy's fixed score, ``imputed`` is True). ``missing_reason``: ``absent`` (key not in the
    inputs), ``null``, ``invalid`` (not a finite number / not text for a categorical) or
    ``unrecognised`` (a category the table does not know).
    """

    key: str
    label: str
    group: str
    input_key: str
    unit: str
    raw_input: str | float | int | None
    value: float | str | None
    score: float | None
    status: str
    missing_reason: str | None
    imputed: bool
    configured_weight: float
    effective_weight: float
    contribution: float
    band: BandHit | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "group": self.group,
            "input_key": self.input_key,
            "unit": self.unit,
            "raw_input": self.raw_input,
            "value": self.value,
            "score": self.score,
            "status": self.status,
            "missing_reason": self.missing_reason,
            "imputed": self.imputed,
            "configured_weight": self.configured_weight,
            "effective_weight": self.effective_weight,
            "contribution": self.contribution,
            "band": self.band.to_dict() if self.band else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MeasureResult:
        fields = dict(data)
        fields["band"] = BandHit.from_dict(data.get("band"))
        return cls(**fields)


@dataclass(frozen=True)
class GroupResult:
    """One group: its score over its scored/imputed measures (None if none) and its share."""

    key: str
    label: str
    configured_weight: float
    effective_weight: float
    score: float | None
    contribution: float
    measures_scored: int
    measures_imputed: int
    measures_missing: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroupResult:
        return cls(**dict(data))


@dataclass(frozen=True)
class OverrideOutcome:
    """How an override was evaluated at ``evaluated_at`` (ISO datetimes, JSON-ready).

    ``status``: ``active`` (applied), ``expired``, ``revoked`` or ``not_yet_active`` (all
    three ignored: the computed score is displayed and the result says why).
    """

    status: str
    applied: bool
    score: float
    band: str
    reason: str
    author: str
    expires_at: str | None
    created_at: str | None
    override_id: str | int | None
    evaluated_at: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> OverrideOutcome | None:
        return cls(**dict(data)) if data else None


@dataclass(frozen=True)
class ScoreResult:
    """A scored account. ``to_dict()`` is the JSON stored in ``HealthScore.result``."""

    scorecard_key: str
    scorecard_version: int
    score: float | None
    band: str
    computed_score: float | None
    computed_band: str
    coverage: float
    confidence: str
    score_bands: ScoreBands
    groups: tuple[GroupResult, ...]
    measures: tuple[MeasureResult, ...]
    missing_inputs: tuple[str, ...]
    imputed_measures: tuple[str, ...]
    override: OverrideOutcome | None = None

    def measure(self, key: str) -> MeasureResult:
        """The result of measure ``key`` (KeyError if the scorecard has no such measure)."""
        for m in self.measures:
            if m.key == key:
                return m
        raise KeyError(key)

    def group(self, key: str) -> GroupResult:
        for g in self.groups:
            if g.key == key:
                return g
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": RESULT_SCHEMA,
            "scorecard": {"key": self.scorecard_key, "version": self.scorecard_version},
            "score": self.score,
            "band": self.band,
            "computed_score": self.computed_score,
            "computed_band": self.computed_band,
            "coverage": self.coverage,
            "confidence": self.confidence,
            "score_bands": self.score_bands.to_dict(),
            "missing_inputs": list(self.missing_inputs),
            "imputed_measures": list(self.imputed_measures),
            "groups": [g.to_dict() for g in self.groups],
            "measures": [m.to_dict() for m in self.measures],
            "override": self.override.to_dict() if self.override else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreResult:
        """Rebuild a result from its stored JSON (e.g. to re-evaluate an override)."""
        return cls(
            scorecard_key=data["scorecard"]["key"],
            scorecard_version=int(data["scorecard"]["version"]),
            score=data["score"],
            band=data["band"],
            computed_score=data["computed_score"],
            computed_band=data["computed_band"],
            coverage=float(data["coverage"]),
            confidence=data["confidence"],
            score_bands=ScoreBands.from_dict(data.get("score_bands")),
            groups=tuple(GroupResult.from_dict(g) for g in data["groups"]),
            measures=tuple(MeasureResult.from_dict(m) for m in data["measures"]),
            missing_inputs=tuple(data["missing_inputs"]),
            imputed_measures=tuple(data["imputed_measures"]),
            override=OverrideOutcome.from_dict(data.get("override")),
        )
