"""What the charts share: escaping, number and date labels, scales, ticks, the document.

Everything here is plain Python (no Django, no I/O), so the charts are tested without a
database and can be rendered anywhere.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from html import escape

XValue = date | datetime | float | int
ValueFormat = Callable[[float], str]

PALETTE = ("#2f6f9f", "#d9822b", "#6a4c93", "#3a7d44", "#9b2d30")
AXIS_COLOR = "#6b7280"
GRID_COLOR = "#e5e7eb"
TEXT_COLOR = "#374151"
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"


class SvgMarkup(str):
    """SVG whose every text and attribute value was escaped when it was built.

    ``__html__`` is the convention Django's templates (and Jinja's) honour: the markup is
    inserted as is, without ``mark_safe`` in every view.
    """

    __slots__ = ()

    def __html__(self) -> str:
        return str(self)


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def coord(value: float) -> str:
    """A coordinate with one decimal at most: compact, stable text for tests and diffs."""
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def el(name: str, children: str = "", **attrs: object) -> str:
    """``<name a="v">children</name>``. Attribute names are written in Python: a trailing
    underscore is dropped (``class_``) and underscores become hyphens (``text_anchor``);
    floats are written as coordinates; None leaves the attribute out."""
    parts = [name]
    for key, value in attrs.items():
        if value is None:
            continue
        text = coord(value) if isinstance(value, float) else value
        parts.append(f'{key.rstrip("_").replace("_", "-")}="{esc(text)}"')
    opening = " ".join(parts)
    return f"<{opening}>{children}</{name}>" if children else f"<{opening}/>"


def label(x: float, y: float, content: str, *, anchor: str = "start", **attrs: object) -> str:
    """A text label; ``content`` is escaped here."""
    attrs.setdefault("fill", TEXT_COLOR)
    return el("text", esc(content), x=float(x), y=float(y), text_anchor=anchor, **attrs)


def tooltip(text: str) -> str:
    """A ``<title>`` child: browsers show it on hover, screen readers read it."""
    return f"<title>{esc(text)}</title>"


def format_value(value: float) -> str:
    """People's numbers: thousands separators, one decimal only when there is one."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def finite(values: Iterable[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


class Scale:
    """Maps ``[lo, hi]`` onto ``[start, end]`` (pixels); a zero-width domain is widened."""

    def __init__(self, lo: float, hi: float, start: float, end: float) -> None:
        if hi <= lo:
            lo, hi = lo - 1, hi + 1
        self.lo, self.hi, self.start, self.end = lo, hi, start, end

    def __call__(self, value: float) -> float:
        return self.start + (value - self.lo) / (self.hi - self.lo) * (self.end - self.start)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 × 10ⁿ apart) covering ``[lo, hi]``."""
    if not hi - lo > 1e-9 * max(1.0, abs(lo), abs(hi)):
        # No span the labels (three decimals at most) could show, or none a float can
        # divide (0 to 5e-324 underflows to a zero step): widen around the value.
        mid = (lo + hi) / 2
        pad = abs(mid) * 0.1 if abs(mid) >= 1e-3 else 1.0
        lo, hi = mid - pad, mid + pad
    raw = (hi - lo) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(round((last - first) / step) + 1)]


def tick_label(value: float, step: float) -> str:
    """``value`` with as many decimals as the tick step needs (at most three)."""
    decimals = 0
    while decimals < 3 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-9:
        decimals += 1
    return f"{value:,.{decimals}f}"


def x_number(value: XValue) -> float:
    """Dates count in days, datetimes in seconds; one chart uses one kind."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, date):
        return float(value.toordinal())
    return float(value)


def x_label(value: XValue, *, with_year: bool = False) -> str:
    if isinstance(value, date):  # datetimes too: a chart's axis reads in days
        label = f"{value.day} {value:%b}"
        return f"{label} {value.year}" if with_year else label
    return format_value(float(value))


def x_kind(values: Sequence[XValue]) -> type:
    kinds = {
        datetime if isinstance(v, datetime) else date if isinstance(v, date) else float
        for v in values
    }
    if len(kinds) > 1:
        raise TypeError("one chart's x values must all be dates, all datetimes or all numbers")
    return kinds.pop() if kinds else float


def x_from_number(number: float, kind: type, tz: object = None) -> XValue:
    if kind is datetime:
        return datetime.fromtimestamp(number, tz)  # type: ignore[arg-type]
    if kind is date:
        return date.fromordinal(round(number))
    return number


def content_id(kind: str, *parts: object) -> str:
    """A stable id from the chart's content, so ids on one page differ and output is
    deterministic; pass ``chart_id=`` to the chart to choose one."""
    digest = hashlib.sha1(repr((kind, parts)).encode(), usedforsecurity=False).hexdigest()
    return f"cs-chart-{digest[:10]}"


def document(
    *, kind: str, ident: str, width: int, height: int, title: str, desc: str, body: str
) -> SvgMarkup:
    """The ``<svg>`` root: an image with an accessible name (title) and description."""
    head = el("title", esc(title), id=f"{ident}-title") + el("desc", esc(desc), id=f"{ident}-desc")
    return SvgMarkup(
        el(
            "svg",
            head + body,
            xmlns="http://www.w3.org/2000/svg",
            viewBox=f"0 0 {width} {height}",
            width=width,
            height=height,
            role="img",
            aria_labelledby=f"{ident}-title {ident}-desc",
            class_=f"cs-chart cs-chart-{kind}",
            id=ident,
            font_family=FONT,
            font_size=11,
        )
    )


def no_data(width: int, height: int, message: str = "No data") -> str:
    return label(
        width / 2, height / 2, message, anchor="middle", fill=AXIS_COLOR, class_="cs-chart-empty"
    )


def value_grid(
    ticks: list[float], scale: Scale, *, across: tuple[float, float], vertical: bool = False
) -> str:
    """Grid lines and labels at ``ticks``: horizontal lines for a y axis (labels on the
    left), vertical ones for an x axis of values (labels below)."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    start, end = across
    parts = []
    for tick in ticks:
        at = scale(tick)
        text = tick_label(tick, step)
        if vertical:
            parts.append(
                el(
                    "line",
                    x1=at,
                    x2=at,
                    y1=float(start),
                    y2=float(end),
                    stroke=GRID_COLOR,
                    class_="cs-chart-grid",
                )
            )
            parts.append(label(at, end + 14, text, anchor="middle", fill=AXIS_COLOR))
        else:
            parts.append(
                el(
                    "line",
                    x1=float(start),
                    x2=float(end),
                    y1=at,
                    y2=at,
                    stroke=GRID_COLOR,
                    class_="cs-chart-grid",
                )
            )
            parts.append(label(start - 6, at + 4, text, anchor="end", fill=AXIS_COLOR))
    return "".join(parts)
