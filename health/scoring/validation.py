"""Structured validation of a scorecard definition in its JSON form.

Validation works on the plain dict (what the ``Scorecard.definition`` JSONField stores and
what an admin form or an agent submits), so every issue can name the exact field:
``groups[1].measures[0].bands.points[2][0]``. It never raises on malformed input; it reports.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from health.scoring.bands import normalise_category

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
MISSING_POLICIES = ("drop", "fixed")
BAND_KINDS = ("step", "linear", "categorical")


@dataclass(frozen=True)
class ValidationIssue:
    """One problem: ``path`` to the field, a stable machine ``code`` and a human ``message``."""

    path: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


class ScorecardValidationError(ValueError):
    """Raised when building a ``Scorecard`` from an invalid definition; carries the issues."""

    def __init__(self, issues: Sequence[ValidationIssue]) -> None:
        self.issues = list(issues)
        summary = "; ".join(f"{i.path}: {i.message}" for i in self.issues[:10])
        more = f" (+{len(self.issues) - 10} more)" if len(self.issues) > 10 else ""
        super().__init__(f"invalid scorecard definition: {summary}{more}")


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    return math.isfinite(float(value))


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


class _Collector:
    def __init__(self) -> None:
        self.issues: list[ValidationIssue] = []

    def add(self, path: str, code: str, message: str) -> None:
        self.issues.append(ValidationIssue(path, code, message))

    def key(self, data: Mapping[str, Any], path: str, field: str = "key") -> str | None:
        value = data.get(field)
        if not isinstance(value, str) or not KEY_RE.match(value):
            self.add(
                f"{path}{field}",
                "invalid_key",
                "must be 1–60 chars of lowercase letters, digits, '_' or '-'",
            )
            return None
        return value

    def text(self, data: Mapping[str, Any], path: str, field: str, required: bool) -> None:
        value = data.get(field)
        if value is None and not required:
            return
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(f"{path}{field}", "required" if value is None else "type", "must be text")

    def weight(self, data: Mapping[str, Any], path: str) -> float | None:
        value = data.get("weight")
        if not _is_number(value):
            self.add(f"{path}weight", "type", "must be a finite number")
            return None
        if float(value) < 0:
            self.add(f"{path}weight", "negative_weight", "weights must be >= 0")
            return None
        return float(value)

    def score(self, value: object, path: str) -> None:
        if not _is_number(value):
            self.add(path, "type", "score must be a finite number")
        elif not 0 <= float(value) <= 100:
            self.add(path, "score_out_of_range", f"score {value} is outside 0–100")


def validate_scorecard(data: object) -> list[ValidationIssue]:
    """Return every problem in a scorecard definition dict; an empty list means valid.

    Codes: ``required``, ``type``, ``invalid_key``, ``duplicate_key``, ``negative_weight``,
    ``all_weights_zero``, ``non_monotone_thresholds``, ``score_out_of_range``,
    ``too_few_points``, ``unknown_kind``, ``unknown_policy``, ``invalid_thresholds``.
    """
    c = _Collector()
    if not isinstance(data, Mapping):
        c.add("", "type", "a scorecard definition must be an object")
        return c.issues
    c.key(data, "")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        c.add("version", "type", "version must be an integer >= 1")
    c.text(data, "", "name", required=False)
    _validate_thresholds(c, data)
    groups = data.get("groups")
    if not _is_list(groups) or not groups:
        c.add("groups", "required", "at least one group is required")
        return c.issues
    group_keys: set[str] = set()
    measure_keys: set[str] = set()
    group_weights: list[float] = []
    for gi, group in enumerate(groups):
        gpath = f"groups[{gi}]."
        if not isinstance(group, Mapping):
            c.add(gpath[:-1], "type", "a group must be an object")
            continue
        gkey = c.key(group, gpath)
        if gkey is not None:
            if gkey in group_keys:
                c.add(f"{gpath}key", "duplicate_key", f"group key {gkey!r} is used twice")
            group_keys.add(gkey)
        c.text(group, gpath, "label", required=True)
        gweight = c.weight(group, gpath)
        if gweight is not None:
            group_weights.append(gweight)
        measures = group.get("measures")
        if not _is_list(measures) or not measures:
            c.add(f"{gpath}measures", "required", "a group needs at least one measure")
            continue
        measure_weights = [
            _validate_measure(c, m, f"{gpath}measures[{mi}].", measure_keys)
            for mi, m in enumerate(measures)
        ]
        known = [w for w in measure_weights if w is not None]
        if gweight and len(known) == len(measure_weights) and not any(known):
            c.add(
                f"{gpath}measures",
                "all_weights_zero",
                "a group with a positive weight needs a measure with a positive weight",
            )
    if len(group_weights) == len(groups) and not any(group_weights):
        c.add("groups", "all_weights_zero", "at least one group must have a positive weight")
    return c.issues


def _validate_thresholds(c: _Collector, data: Mapping[str, Any]) -> None:
    bands = data.get("score_bands")
    if bands is not None:
        if not isinstance(bands, Mapping):
            c.add("score_bands", "type", "must be an object {green_min, yellow_min}")
        else:
            green, yellow = bands.get("green_min"), bands.get("yellow_min")
            if not (_is_number(green) and _is_number(yellow)):
                c.add("score_bands", "type", "green_min and yellow_min must be numbers")
            elif not 0 <= float(yellow) < float(green) <= 100:
                c.add(
                    "score_bands", "invalid_thresholds", "need 0 <= yellow_min < green_min <= 100"
                )
            floor = bands.get("min_coverage")
            if floor is not None and not (_is_number(floor) and 0 <= float(floor) <= 1):
                c.add(
                    "score_bands.min_coverage", "invalid_thresholds", "need 0 <= min_coverage <= 1"
                )
    conf = data.get("confidence")
    if conf is not None:
        if not isinstance(conf, Mapping):
            c.add("confidence", "type", "must be an object {high_min, medium_min}")
        else:
            high, medium = conf.get("high_min"), conf.get("medium_min")
            if not (_is_number(high) and _is_number(medium)):
                c.add("confidence", "type", "high_min and medium_min must be numbers")
            elif not 0 <= float(medium) < float(high) <= 1:
                c.add("confidence", "invalid_thresholds", "need 0 <= medium_min < high_min <= 1")


def _validate_measure(c: _Collector, measure: object, path: str, seen: set[str]) -> float | None:
    if not isinstance(measure, Mapping):
        c.add(path[:-1], "type", "a measure must be an object")
        return None
    key = c.key(measure, path)
    if key is not None:
        if key in seen:
            c.add(f"{path}key", "duplicate_key", f"measure key {key!r} is used twice")
        seen.add(key)
    c.text(measure, path, "label", required=True)
    c.text(measure, path, "input_key", required=True)
    c.text(measure, path, "unit", required=False)
    c.text(measure, path, "description", required=False)
    weight = c.weight(measure, path)
    _validate_bands(c, measure.get("bands"), f"{path}bands")
    missing = measure.get("missing", {"policy": "drop"})
    if not isinstance(missing, Mapping):
        c.add(f"{path}missing", "type", "must be an object {policy, score?}")
    elif missing.get("policy") not in MISSING_POLICIES:
        c.add(
            f"{path}missing.policy",
            "unknown_policy",
            f"policy {missing.get('policy')!r} is not one of {', '.join(MISSING_POLICIES)}",
        )
    elif missing["policy"] == "fixed":
        c.score(missing.get("score"), f"{path}missing.score")
    return weight


def _validate_bands(c: _Collector, bands: object, path: str) -> None:
    if not isinstance(bands, Mapping):
        c.add(path, "required", "bands must be an object with a kind")
        return
    kind = bands.get("kind")
    if kind not in BAND_KINDS:
        c.add(f"{path}.kind", "unknown_kind", f"kind {kind!r} is not one of {BAND_KINDS}")
        return
    if kind == "categorical":
        scores = bands.get("scores")
        if not isinstance(scores, Mapping) or not scores:
            c.add(f"{path}.scores", "required", "a non-empty {value: score} table is required")
            return
        seen: set[str] = set()
        for value, score in scores.items():
            if not isinstance(value, str) or not value.strip():
                c.add(f"{path}.scores", "type", "category values must be non-empty text")
                continue
            if normalise_category(value) in seen:
                c.add(f"{path}.scores.{value}", "duplicate_key", "same value after lower-casing")
            seen.add(normalise_category(value))
            c.score(score, f"{path}.scores.{value}")
        return
    points = bands.get("points")
    minimum = 2 if kind == "linear" else 1
    if not _is_list(points) or len(points) < minimum:
        c.add(f"{path}.points", "too_few_points", f"{kind} bands need >= {minimum} point(s)")
        return
    previous: float | None = None
    for pi, point in enumerate(points):
        ppath = f"{path}.points[{pi}]"
        if not _is_list(point) or len(point) != 2:
            c.add(ppath, "type", "each point is a [threshold, score] pair")
            continue
        threshold, score = point
        c.score(score, f"{ppath}[1]")
        # Only a step band's first lower bound may be open (None = unbounded below).
        if threshold is None and kind == "step" and pi == 0:
            continue
        if not _is_number(threshold):
            c.add(f"{ppath}[0]", "type", "threshold must be a finite number")
            continue
        if previous is not None and float(threshold) <= previous:
            c.add(
                f"{ppath}[0]",
                "non_monotone_thresholds",
                f"threshold {threshold} must be greater than the previous one ({previous:g})",
            )
        previous = float(threshold)
