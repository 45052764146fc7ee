"""Scorecard definitions: groups of weighted measures, bands and missing-data policies.

A definition is plain data. ``Scorecard.to_dict()`` is what the ``Scorecard.definition``
JSONField stores and ``Scorecard.from_dict()`` reads it back, validating first. JSON form::

    {
      "key": "default", "version": 1, "name": "...", "description": "...",
      "score_bands": {"green_min": 70, "yellow_min": 40},   # overall score -> band
      "confidence": {"high_min": 0.8, "medium_min": 0.5},   # coverage -> confidence
      "groups": [
        {"key": "usage", "label": "Product usage", "weight": 35, "measures": [
          {"key": "usage_trend", "label": "Usage trend", "input_key": "usage_trend_pct",
           "unit": "%", "weight": 40, "description": "...",
           "bands": {"kind": "linear", "points": [[-50, 0], [0, 80], [15, 100]]},
           "missing": {"policy": "drop"}},                    # or {"policy": "fixed", "score": 50}
        ]},
      ],
    }

Weights are relative: a group's share is its weight over the sum of group weights, and a
measure's share within its group is its weight over the sum of its group's measure weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from health.scoring.bands import MeasureBands, bands_from_dict
from health.scoring.validation import ScorecardValidationError, validate_scorecard

HEALTH_BANDS = ("green", "yellow", "red")
UNKNOWN_BAND = "unknown"
# A score backed by too little of the scorecard's weight is not a health verdict: a new
# account scored from its signup date alone would otherwise read 100, green.
INSUFFICIENT_BAND = "insufficient_data"
DEFAULT_MIN_COVERAGE = 0.6


@dataclass(frozen=True)
class ScoreBands:
    """Overall score -> band: ``>= green_min`` green, ``>= yellow_min`` yellow, else red;
    ``insufficient_data`` when the score rests on less than ``min_coverage`` of the
    scorecard's weight (a definition without ``min_coverage`` uses 0.6)."""

    green_min: float = 70.0
    yellow_min: float = 40.0
    min_coverage: float = DEFAULT_MIN_COVERAGE

    def band_for(self, score: float | None, coverage: float | None = None) -> str:
        """Band of a (displayed, rounded) score; ``"unknown"`` when there is no score,
        ``"insufficient_data"`` when ``coverage`` is below ``min_coverage``. ``coverage``
        None means "not a data-backed score" (a manual override's band)."""
        if score is None:
            return UNKNOWN_BAND
        if coverage is not None and coverage < self.min_coverage:
            return INSUFFICIENT_BAND
        if score >= self.green_min:
            return "green"
        if score >= self.yellow_min:
            return "yellow"
        return "red"

    def to_dict(self) -> dict[str, float]:
        return {
            "green_min": self.green_min,
            "yellow_min": self.yellow_min,
            "min_coverage": self.min_coverage,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ScoreBands:
        if not data:
            return cls()
        min_coverage = data.get("min_coverage")
        return cls(
            float(data["green_min"]),
            float(data["yellow_min"]),
            DEFAULT_MIN_COVERAGE if min_coverage is None else float(min_coverage),
        )


@dataclass(frozen=True)
class ConfidenceThresholds:
    """Coverage (0–1) -> confidence: ``>= high_min`` high, ``>= medium_min`` medium, else low."""

    high_min: float = 0.8
    medium_min: float = 0.5

    def level_for(self, coverage: float) -> str:
        if coverage >= self.high_min:
            return "high"
        if coverage >= self.medium_min:
            return "medium"
        return "low"

    def to_dict(self) -> dict[str, float]:
        return {"high_min": self.high_min, "medium_min": self.medium_min}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ConfidenceThresholds:
        if not data:
            return cls()
        return cls(float(data["high_min"]), float(data["medium_min"]))


@dataclass(frozen=True)
class MissingPolicy:
    """What to do when a measure's input is missing.

    ``drop``: leave the measure out and re-normalise the remaining weights.
    ``fixed``: score the measure as ``score`` — the result marks it ``missing_fixed`` and
    ``imputed``, and coverage does not count it as present.
    """

    policy: str = "drop"
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.policy == "fixed":
            return {"policy": "fixed", "score": self.score}
        return {"policy": self.policy}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> MissingPolicy:
        if not data:
            return cls()
        score = data.get("score")
        return cls(str(data["policy"]), None if score is None else float(score))


DROP = MissingPolicy("drop")


def fixed(score: float) -> MissingPolicy:
    """Shorthand for ``MissingPolicy("fixed", score)``."""
    return MissingPolicy("fixed", float(score))


@dataclass(frozen=True)
class Measure:
    """One scored input. ``weight`` is relative to the other measures of its group."""

    key: str
    label: str
    input_key: str
    weight: float
    bands: MeasureBands
    unit: str = ""
    missing: MissingPolicy = DROP
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "input_key": self.input_key,
            "unit": self.unit,
            "weight": self.weight,
            "description": self.description,
            "bands": self.bands.to_dict(),
            "missing": self.missing.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Measure:
        return cls(
            key=data["key"],
            label=data["label"],
            input_key=data["input_key"],
            weight=float(data["weight"]),
            bands=bands_from_dict(data["bands"]),
            unit=data.get("unit") or "",
            missing=MissingPolicy.from_dict(data.get("missing")),
            description=data.get("description") or "",
        )


@dataclass(frozen=True)
class Group:
    """A weighted group of measures ("Product usage", "Support", ...)."""

    key: str
    label: str
    weight: float
    measures: tuple[Measure, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "weight": self.weight,
            "measures": [m.to_dict() for m in self.measures],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Group:
        return cls(
            key=data["key"],
            label=data["label"],
            weight=float(data["weight"]),
            measures=tuple(Measure.from_dict(m) for m in data["measures"]),
        )


@dataclass(frozen=True)
class Scorecard:
    """A versioned scorecard. Construction validates it (raises ``ScorecardValidationError``)."""

    key: str
    version: int
    groups: tuple[Group, ...]
    name: str = ""
    description: str = ""
    score_bands: ScoreBands = field(default_factory=ScoreBands)
    confidence: ConfidenceThresholds = field(default_factory=ConfidenceThresholds)

    def __post_init__(self) -> None:
        # Validating the JSON form means objects built in code get the same checks, with
        # the same paths, as definitions loaded from the database.
        issues = validate_scorecard(self.to_dict())
        if issues:
            raise ScorecardValidationError(issues)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "version": self.version,
            "name": self.name,
            "description": self.description,
            "score_bands": self.score_bands.to_dict(),
            "confidence": self.confidence.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scorecard:
        """Validate and build; raises ``ScorecardValidationError`` listing every issue."""
        issues = validate_scorecard(data)
        if issues:
            raise ScorecardValidationError(issues)
        return cls(
            key=data["key"],
            version=int(data["version"]),
            name=data.get("name") or "",
            description=data.get("description") or "",
            score_bands=ScoreBands.from_dict(data.get("score_bands")),
            confidence=ConfidenceThresholds.from_dict(data.get("confidence")),
            groups=tuple(Group.from_dict(g) for g in data["groups"]),
        )

    def measures(self) -> list[tuple[Group, Measure]]:
        """Every measure with its group, in definition order."""
        return [(g, m) for g in self.groups for m in g.measures]

    def input_keys(self) -> list[str]:
        """The distinct input keys the aggregation must provide, in definition order."""
        return list(dict.fromkeys(m.input_key for _, m in self.measures()))

    def configured_weights(self) -> dict[str, float]:
        """Each measure's designed share of the whole score (sums to 1), before any data."""
        return dict(self._configured_weights)

    @cached_property
    def _configured_weights(self) -> dict[str, float]:
        # Cached: scoring a portfolio calls this once per account with the same scorecard.
        # (cached_property writes the instance __dict__ directly, so frozen is no obstacle.)
        group_total = sum(g.weight for g in self.groups)
        weights: dict[str, float] = {}
        for g in self.groups:
            measure_total = sum(m.weight for m in g.measures)
            for m in g.measures:
                share = m.weight / measure_total if measure_total else 0.0
                weights[m.key] = (g.weight / group_total) * share
        return weights
