"""Mapping one raw input to a 0–100 measure score.

Three mappers, all immutable and JSON round-trippable:

* ``StepBands`` — ``[(lower_bound, score), ...]`` sorted by ``lower_bound``. A value scores the
  band whose lower bound is the largest one ``<=`` the value (bounds are inclusive, the next
  band's bound is exclusive). The first lower bound may be ``None`` (unbounded below); when it
  is a number, values below it still score the first band and the band label says so.
* ``LinearBands`` — ``[(x, score), ...]`` sorted by ``x``; scores are interpolated linearly
  between neighbouring points and clamped to the end scores outside the range.
* ``CategoricalBands`` — a ``value -> score`` table for categorical inputs (payment status).
  Values are compared after ``strip().lower()``; a value not in the table is *missing*, not 0.

Direction is implied by the scores: ``[(0, 100), (5, 60)]`` means "lower is better".
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

NUMERIC_TYPES = (int, float, Decimal)


def fmt_number(value: float | None) -> str:
    """Compact human formatting of a threshold (``0.5``, ``30``, ``-12.5``)."""
    if value is None:
        return "-inf"
    return f"{float(value):g}"


@dataclass(frozen=True)
class BandHit:
    """The band an input fell into: its position, a human label and its bounds (None = open)."""

    index: int
    label: str
    lower: float | None = None
    upper: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "label": self.label, "lower": self.lower, "upper": self.upper}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> BandHit | None:
        if not data:
            return None
        return cls(int(data["index"]), str(data["label"]), data.get("lower"), data.get("upper"))


def _direction(scores: list[float]) -> str:
    increasing = all(b >= a for a, b in zip(scores, scores[1:], strict=False))
    decreasing = all(b <= a for a, b in zip(scores, scores[1:], strict=False))
    if increasing and decreasing:
        return "flat"
    if increasing:
        return "higher_is_better"
    if decreasing:
        return "lower_is_better"
    return "mixed"


@dataclass(frozen=True)
class StepBands:
    """Step mapping: ``points[i] = (lower_bound, score)``; see the module docstring."""

    points: tuple[tuple[float | None, float], ...]
    kind = "step"

    def score(self, value: float) -> tuple[float, BandHit]:
        bounds = [x for x, _ in self.points]
        finite = [(-math.inf if x is None else float(x)) for x in bounds]
        idx = bisect_right(finite, value) - 1
        below_range = idx < 0
        idx = max(idx, 0)
        lower = bounds[idx]
        upper = bounds[idx + 1] if idx + 1 < len(bounds) else None
        if below_range:
            label = f"< {fmt_number(lower)} (below the first band, scored as it)"
        elif lower is None:
            label = "any value" if upper is None else f"< {fmt_number(upper)}"
        elif upper is None:
            label = f">= {fmt_number(lower)}"
        else:
            label = f">= {fmt_number(lower)} and < {fmt_number(upper)}"
        return float(self.points[idx][1]), BandHit(
            idx, label, None if lower is None else float(lower), upper
        )

    @property
    def direction(self) -> str:
        return _direction([float(s) for _, s in self.points])

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "points": [[x, s] for x, s in self.points]}


@dataclass(frozen=True)
class LinearBands:
    """Piecewise-linear mapping through ``points[i] = (x, score)``, clamped at both ends."""

    points: tuple[tuple[float, float], ...]
    kind = "linear"

    def score(self, value: float) -> tuple[float, BandHit]:
        xs = [float(x) for x, _ in self.points]
        ys = [float(s) for _, s in self.points]
        last = len(xs) - 1
        if value <= xs[0]:
            # Exactly on the first point belongs to the first segment; below it is clamped.
            if value == xs[0]:
                return ys[0], BandHit(0, self._segment_label(0), xs[0], xs[1])
            return ys[0], BandHit(0, f"<= {fmt_number(xs[0])} (clamped)", None, xs[0])
        if value >= xs[last]:
            return ys[last], BandHit(last, f">= {fmt_number(xs[last])}", xs[last], None)
        # Segments are lower-inclusive: a value exactly on point i lies in segment i.
        i = bisect_right(xs, value) - 1
        x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
        interpolated = y0 + (value - x0) / (x1 - x0) * (y1 - y0)
        return interpolated, BandHit(i, self._segment_label(i), x0, x1)

    def _segment_label(self, i: int) -> str:
        x0, x1 = self.points[i][0], self.points[i + 1][0]
        return f"between {fmt_number(x0)} and {fmt_number(x1)}"

    @property
    def direction(self) -> str:
        return _direction([float(s) for _, s in self.points])

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "points": [[x, s] for x, s in self.points]}


def normalise_category(value: str) -> str:
    """Canonical form of a categorical value: ``" Late "`` and ``"late"`` are the same."""
    return value.strip().lower()


@dataclass(frozen=True)
class CategoricalBands:
    """``value -> score`` table; ``scores`` holds ``(value, score)`` pairs in definition order."""

    scores: tuple[tuple[str, float], ...]
    kind = "categorical"

    def lookup(self, value: str) -> tuple[float, BandHit] | None:
        """Score of ``value``, or None when the value is not in the table (treated as missing)."""
        wanted = normalise_category(value)
        for i, (category, score) in enumerate(self.scores):
            if normalise_category(category) == wanted:
                return float(score), BandHit(i, wanted)
        return None

    @property
    def direction(self) -> str:
        return "categorical"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "scores": dict(self.scores)}


MeasureBands = StepBands | LinearBands | CategoricalBands


def bands_from_dict(data: dict[str, Any]) -> MeasureBands:
    """Build a mapper from its JSON form (already validated by ``validate_scorecard``)."""
    kind = data["kind"]
    if kind == "categorical":
        return CategoricalBands(tuple((str(k), float(v)) for k, v in data["scores"].items()))
    points = data["points"]
    if kind == "step":
        return StepBands(tuple((None if x is None else float(x), float(s)) for x, s in points))
    return LinearBands(tuple((float(x), float(s)) for x, s in points))


def coerce_numeric(raw: object) -> tuple[float | None, str | None]:
    """Turn a raw numeric input into a float, or say why it cannot be scored.

    Returns ``(value, None)`` or ``(None, reason)`` with reason ``"null"`` or ``"invalid"``.
    Booleans are rejected on purpose: ``True`` silently becoming ``1.0`` would hide a bug in
    the aggregation. Numeric strings (``"12.5"``) are accepted because JSON round trips
    sometimes produce them; NaN and infinities are invalid.
    """
    if raw is None:
        return None, "null"
    if isinstance(raw, bool):
        return None, "invalid"
    if isinstance(raw, NUMERIC_TYPES):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return None, "invalid"
    else:
        return None, "invalid"
    if not math.isfinite(value):
        return None, "invalid"
    return value, None


def json_safe_input(raw: object) -> str | float | int | None:
    """The raw input as stored in a snapshot: JSON scalars kept, anything else stringified."""
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float | Decimal):
        value = float(raw)
        # JSONB rejects NaN/Infinity, so keep them readable as text.
        return value if math.isfinite(value) else str(raw)
    return str(raw)
