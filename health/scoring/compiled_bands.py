"""Band mappers of the compiled scorecard: each measure's thresholds as plain lists, with
the JSON of every band it can hit serialised once (see ``compiled.py``)."""

from __future__ import annotations

import json
from typing import Any

from health.scoring.bands import (
    CategoricalBands,
    LinearBands,
    StepBands,
    coerce_numeric,
    fmt_number,
    normalise_category,
)

ABSENT = object()
_J = json.dumps


def json_scalar(value: Any) -> str:
    """JSON text of a scalar, exactly as ``json.dumps`` writes it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    # Exact types only: bool is handled above, and an int/float subclass (an enum, say)
    # must go through json.dumps like the reference engine's to_dict() does.
    if type(value) is float or type(value) is int:
        return repr(value)
    return _J(value)


_FLOAT_TEXT: dict[float, str] = {}


def float_text(value: float) -> str:
    """``repr`` of a float, remembered: formatting a float (~0.45 µs) was most of the cost
    of writing a result, and rounded scores, weights and contributions take few distinct
    values. Zero is not cached (0.0 and -0.0 are equal keys with different texts)."""
    text = _FLOAT_TEXT.get(value)
    if text is None:
        text = repr(value)
        if value and len(_FLOAT_TEXT) < 50_000:
            _FLOAT_TEXT[value] = text
    return text


def _band_json(index: int, label: str, lower: float | None, upper: float | None) -> str:
    return (
        f'{{"index":{index},"label":{_J(label)},'
        f'"lower":{json_scalar(lower)},"upper":{json_scalar(upper)}}}'
    )


class Mapper:
    """One measure's bands: ``evaluate(raw) -> (value, score, band_json, missing_reason)``."""

    def __init__(self, bands: Any) -> None:
        self.categorical = isinstance(bands, CategoricalBands)
        if isinstance(bands, StepBands):
            self.kind = "step"
            bounds = [x for x, _ in bands.points]
            self.finite = [float("-inf") if x is None else float(x) for x in bounds]
            self.scores = [float(s) for _, s in bands.points]
            self.hits = []
            for idx, lower in enumerate(bounds):
                upper = bounds[idx + 1] if idx + 1 < len(bounds) else None
                if lower is None:
                    label = "any value" if upper is None else f"< {fmt_number(upper)}"
                elif upper is None:
                    label = f">= {fmt_number(lower)}"
                else:
                    label = f">= {fmt_number(lower)} and < {fmt_number(upper)}"
                self.hits.append(
                    _band_json(idx, label, None if lower is None else float(lower), upper)
                )
            first, second = bounds[0], bounds[1] if len(bounds) > 1 else None
            self.below = _band_json(
                0,
                f"< {fmt_number(first)} (below the first band, scored as it)",
                None if first is None else float(first),
                second,
            )
        elif isinstance(bands, LinearBands):
            self.kind = "linear"
            self.xs = [float(x) for x, _ in bands.points]
            self.ys = [float(s) for _, s in bands.points]
            pts = bands.points
            self.segments = [
                _band_json(
                    i,
                    f"between {fmt_number(pts[i][0])} and {fmt_number(pts[i + 1][0])}",
                    self.xs[i],
                    self.xs[i + 1],
                )
                for i in range(len(pts) - 1)
            ]
            last = len(self.xs) - 1
            self.clamped_low = _band_json(
                0, f"<= {fmt_number(self.xs[0])} (clamped)", None, self.xs[0]
            )
            self.clamped_high = _band_json(
                last, f">= {fmt_number(self.xs[last])}", self.xs[last], None
            )
        else:
            self.kind = "categorical"
            self.table = {}
            for i, (category, score) in enumerate(bands.scores):
                wanted = normalise_category(category)
                self.table.setdefault(wanted, (float(score), _band_json(i, wanted, None, None)))

    def evaluate(self, raw: Any) -> tuple[Any, float | None, str | None, str | None]:
        if raw is ABSENT:
            return None, None, None, "absent"
        if raw is None:
            return None, None, None, "null"
        if self.categorical:
            if not isinstance(raw, str) or not raw.strip():
                return None, None, None, "invalid"
            wanted = normalise_category(raw)
            hit = self.table.get(wanted)
            if hit is None:
                return wanted, None, None, "unrecognised"
            return wanted, hit[0], hit[1], None
        if type(raw) is float or type(raw) is int:
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                return None, None, None, "invalid"
        else:
            value, reason = coerce_numeric(raw)
            if value is None:
                return None, None, None, reason
        if self.kind == "step":
            finite = self.finite
            idx = len(finite) - 1
            while idx >= 0 and finite[idx] > value:
                idx -= 1
            if idx < 0:
                return value, self.scores[0], self.below, None
            return value, self.scores[idx], self.hits[idx], None
        xs, ys = self.xs, self.ys
        last = len(xs) - 1
        if value <= xs[0]:
            if value == xs[0]:
                return value, ys[0], self.segments[0], None
            return value, ys[0], self.clamped_low, None
        if value >= xs[last]:
            return value, ys[last], self.clamped_high, None
        i = 0
        while xs[i + 1] <= value:
            i += 1
        x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
        return value, y0 + (value - x0) / (x1 - x0) * (y1 - y0), self.segments[i], None
