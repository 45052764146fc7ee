"""Band mappers of the compiled scorecard (each measure's thresholds as plain lists) and
the JSON scalar writers it shares with ``compiled_json`` (see ``compiled.py``)."""

from __future__ import annotations

import json
from typing import Any

from health.scoring.bands import (
    CategoricalBands,
    LinearBands,
    StepBands,
    coerce_numeric,
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


class Mapper:
    """One measure's bands: ``evaluate(raw) -> (value, score, missing_reason)``, the same
    numbers as the reference mappers in ``bands.py``. Band labels are not needed here: the
    stored result leaves them to ``stored.result_expand``, which asks the reference."""

    def __init__(self, bands: Any) -> None:
        self.categorical = isinstance(bands, CategoricalBands)
        if isinstance(bands, StepBands):
            self.kind = "step"
            self.finite = [float("-inf") if x is None else float(x) for x, _ in bands.points]
            self.scores = [float(s) for _, s in bands.points]
        elif isinstance(bands, LinearBands):
            self.kind = "linear"
            self.xs = [float(x) for x, _ in bands.points]
            self.ys = [float(s) for _, s in bands.points]
        else:
            self.kind = "categorical"
            self.table: dict[str, float] = {}
            for category, score in bands.scores:
                self.table.setdefault(normalise_category(category), float(score))

    def evaluate(self, raw: Any) -> tuple[Any, float | None, str | None]:
        if raw is ABSENT:
            return None, None, "absent"
        if raw is None:
            return None, None, "null"
        if self.categorical:
            if not isinstance(raw, str) or not raw.strip():
                return None, None, "invalid"
            wanted = normalise_category(raw)
            score = self.table.get(wanted)
            if score is None:
                return wanted, None, "unrecognised"
            return wanted, score, None
        if type(raw) is float or type(raw) is int:
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                return None, None, "invalid"
        else:
            value, reason = coerce_numeric(raw)
            if value is None:
                return None, None, reason
        if self.kind == "step":
            finite = self.finite
            idx = len(finite) - 1
            while idx >= 0 and finite[idx] > value:
                idx -= 1
            # Below the first bound scores as the first band.
            return value, self.scores[max(idx, 0)], None
        xs, ys = self.xs, self.ys
        last = len(xs) - 1
        if value <= xs[0]:
            return value, ys[0], None
        if value >= xs[last]:
            return value, ys[last], None
        i = 0
        while xs[i + 1] <= value:
            i += 1
        x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
        return value, y0 + (value - x0) / (x1 - x0) * (y1 - y0), None
