"""Line chart over time (or any numeric x) with optional horizontal bands, e.g. a health
score with its red/yellow/green thresholds, or daily active users over 90 days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cs_platform.core.charts.svg import (
    AXIS_COLOR,
    PALETTE,
    Scale,
    SvgMarkup,
    ValueFormat,
    XValue,
    content_id,
    coord,
    document,
    el,
    finite,
    format_value,
    label,
    nice_ticks,
    no_data,
    tooltip,
    value_grid,
    x_from_number,
    x_kind,
    x_label,
    x_number,
)

LEFT, RIGHT_GAP, TOP, BOTTOM_GAP, LEGEND = 48, 16, 14, 26, 18
X_TICKS = 5
DOT_LIMIT = 31  # more values than this: the line alone shows them


@dataclass(frozen=True)
class Series:
    """One line. ``None`` values are gaps: the line breaks there, nothing is invented."""

    label: str
    points: Sequence[tuple[XValue, float | None]]
    color: str | None = None


@dataclass(frozen=True)
class Band:
    """A horizontal region from ``low`` to ``high`` (None: the chart's edge), shaded in
    ``color`` and labelled at its right edge, e.g. ``Band("Red", 0, 40, "#c0392b")``."""

    label: str
    low: float | None
    high: float | None
    color: str
    opacity: float = 0.12


@dataclass(frozen=True)
class _Plot:
    left: float
    right: float
    top: float
    bottom: float
    sx: Scale
    sy: Scale

    def clamp(self, y: float) -> float:
        return min(max(y, self.sy.lo), self.sy.hi)

    def point(self, x: float, y: float) -> tuple[float, float]:
        return self.sx(x), self.sy(self.clamp(y))


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    bands: Sequence[Band] = (),
    width: int = 640,
    height: int = 240,
    y_min: float | None = None,
    y_max: float | None = None,
    value_format: ValueFormat = format_value,
    chart_id: str | None = None,
) -> SvgMarkup:
    """An SVG line chart. The y axis starts at ``y_min`` (default: 0, or lower when a
    value is negative, so a change is not exaggerated) and ends at ``y_max`` (default:
    a round number at or above the highest value and band edge)."""
    ident = chart_id or content_id(
        "line",
        title,
        width,
        height,
        tuple((s.label, tuple(s.points)) for s in series),
        tuple((b.label, b.low, b.high) for b in bands),
    )
    desc = _describe(series, bands, value_format)
    values = finite(y for line in series for _, y in line.points)
    if not values:
        return document(
            kind="line",
            ident=ident,
            width=width,
            height=height,
            title=title,
            desc=desc,
            body=no_data(width, height),
        )
    edges = finite(edge for band in bands for edge in (band.low, band.high))
    ticks = nice_ticks(
        y_min if y_min is not None else min(0.0, *values),
        y_max if y_max is not None else max(values + edges),
    )
    lo = y_min if y_min is not None else ticks[0]
    hi = y_max if y_max is not None else ticks[-1]
    xs = [x_number(x) for line in series for x, _ in line.points]
    top = TOP + (LEGEND if len(series) > 1 else 0)
    plot = _Plot(
        left=LEFT,
        right=width - RIGHT_GAP,
        top=top,
        bottom=height - BOTTOM_GAP,
        sx=Scale(min(xs), max(xs), LEFT, width - RIGHT_GAP),
        sy=Scale(lo, hi, height - BOTTOM_GAP, top),
    )
    body = (
        _bands(bands, plot)
        + value_grid([t for t in ticks if lo <= t <= hi], plot.sy, across=(plot.left, plot.right))
        + _x_axis(series, plot)
        + "".join(_line(line, index, plot, value_format) for index, line in enumerate(series))
        + (_legend(series) if len(series) > 1 else "")
    )
    return document(
        kind="line", ident=ident, width=width, height=height, title=title, desc=desc, body=body
    )


def _bands(bands: Sequence[Band], plot: _Plot) -> str:
    parts = []
    for band in bands:
        upper = plot.sy(plot.clamp(plot.sy.hi if band.high is None else band.high))
        lower = plot.sy(plot.clamp(plot.sy.lo if band.low is None else band.low))
        if lower - upper <= 0:
            continue  # outside the axis range
        parts.append(
            el(
                "rect",
                tooltip(band.label),
                x=float(plot.left),
                y=upper,
                width=float(plot.right - plot.left),
                height=lower - upper,
                fill=band.color,
                fill_opacity=band.opacity,
                class_="cs-chart-band",
            )
        )
        parts.append(
            label(
                plot.right - 4,
                upper + 12,
                band.label,
                anchor="end",
                fill=band.color,
                class_="cs-chart-band-label",
            )
        )
    return "".join(parts)


def _x_axis(series: Sequence[Series], plot: _Plot) -> str:
    all_x = [x for line in series for x, _ in line.points]
    kind = x_kind(all_x)
    tz = next((x.tzinfo for x in all_x if isinstance(x, datetime)), None)
    lo, hi = plot.sx.lo, plot.sx.hi
    count = min(X_TICKS, len({x_number(x) for x in all_x}))
    if count == 1:
        lo = hi = x_number(all_x[0])
    first, last = x_from_number(lo, kind, tz), x_from_number(hi, kind, tz)
    with_year = getattr(first, "year", None) != getattr(last, "year", None)
    parts, seen = [], set()
    for i in range(count):
        at = lo if count == 1 else lo + i * (hi - lo) / (count - 1)
        text = x_label(x_from_number(at, kind, tz), with_year=with_year)
        if text in seen:
            continue  # a short range in days: two ticks would read the same
        seen.add(text)
        anchor = "middle" if count == 1 else {0: "start", count - 1: "end"}.get(i, "middle")
        parts.append(label(plot.sx(at), plot.bottom + 16, text, anchor=anchor, fill=AXIS_COLOR))
    parts.append(
        el(
            "line",
            x1=float(plot.left),
            x2=float(plot.right),
            y1=float(plot.bottom),
            y2=float(plot.bottom),
            stroke=AXIS_COLOR,
        )
    )
    return "".join(parts)


def _segments(points: Sequence[tuple[XValue, float | None]]) -> list[list[tuple[XValue, float]]]:
    """Runs of consecutive points with a value; a gap starts a new run."""
    runs: list[list[tuple[XValue, float]]] = [[]]
    for x, y in points:
        if y is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((x, y))
    return [run for run in runs if run]


def _line(line: Series, index: int, plot: _Plot, fmt: ValueFormat) -> str:
    color = line.color or PALETTE[index % len(PALETTE)]
    paths = []
    for run in _segments(line.points):
        xy = [plot.point(x_number(x), y) for x, y in run]
        d = "M" + " L".join(f"{coord(px)},{coord(py)}" for px, py in xy)
        paths.append(
            el(
                "path",
                d=d,
                fill="none",
                stroke=color,
                stroke_width=2,
                stroke_linejoin="round",
                stroke_linecap="round",
            )
        )
    # Every value gets a hover target with its value; on a dense line they are invisible.
    opacity = None if sum(y is not None for _, y in line.points) <= DOT_LIMIT else 0
    dots = [
        el(
            "circle",
            tooltip(f"{line.label}, {x_label(x, with_year=True)}: {fmt(y)}"),
            cx=plot.point(x_number(x), y)[0],
            cy=plot.point(x_number(x), y)[1],
            r=2.5,
            fill=color,
            fill_opacity=opacity,
        )
        for x, y in line.points
        if y is not None
    ]
    return el("g", "".join(paths + dots), class_="cs-chart-series", data_series=line.label)


def _legend(series: Sequence[Series]) -> str:
    parts, x = [], float(LEFT)
    for index, line in enumerate(series):
        color = line.color or PALETTE[index % len(PALETTE)]
        parts.append(el("rect", x=x, y=float(TOP - 9), width=10, height=10, fill=color))
        parts.append(label(x + 14, TOP, line.label))
        x += 28 + 6.5 * len(line.label)
    return el("g", "".join(parts), class_="cs-chart-legend")


def _describe(series: Sequence[Series], bands: Sequence[Band], fmt: ValueFormat) -> str:
    parts = []
    for line in series:
        known = [(x, y) for x, y in line.points if y is not None]
        if not known:
            parts.append(f"{line.label}: no data.")
            continue
        values = [y for _, y in known]
        missing = len(line.points) - len(known)
        parts.append(
            f"{line.label}: {len(known)} points from {x_label(known[0][0], with_year=True)} "
            f"to {x_label(known[-1][0], with_year=True)}; first {fmt(values[0])}, "
            f"last {fmt(values[-1])}, lowest {fmt(min(values))}, highest {fmt(max(values))}"
            + (f"; {missing} missing." if missing else ".")
        )
    if bands:
        parts.append("Bands: " + ", ".join(_band_range(b, fmt) for b in bands) + ".")
    return " ".join(parts)


def _band_range(band: Band, fmt: ValueFormat) -> str:
    if band.low is None:
        return f"{band.label} below {fmt(band.high)}" if band.high is not None else band.label
    if band.high is None:
        return f"{band.label} from {fmt(band.low)}"
    return f"{band.label} {fmt(band.low)}–{fmt(band.high)}"
