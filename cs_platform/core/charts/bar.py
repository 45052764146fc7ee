"""Bar chart of labelled values, e.g. accounts per health band, ARR per band, open CTAs
per owner. Vertical by default; horizontal when labels are long (names)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cs_platform.core.charts.svg import (
    AXIS_COLOR,
    PALETTE,
    Scale,
    SvgMarkup,
    ValueFormat,
    content_id,
    document,
    el,
    finite,
    format_value,
    label,
    nice_ticks,
    no_data,
    tooltip,
    value_grid,
)

LABEL_CHARS = 16  # longer labels are shortened on the axis; the tooltip has them whole
CHAR_WIDTH = 6.5  # of an 11px sans-serif character, roughly


@dataclass(frozen=True)
class Bar:
    """One bar. ``value=None`` is shown as "no data", never as a zero-height bar.
    ``href`` makes the bar a link: a path on this site (``/…``, ``?…``, ``#…``) only."""

    label: str
    value: float | None
    color: str | None = None
    href: str | None = None

    def __post_init__(self) -> None:
        if self.href is not None and not self.href.startswith(("/", "?", "#")):
            raise ValueError("a bar links to a path on this site, e.g. /admin/…")
        if self.href is not None and self.href.startswith("//"):
            raise ValueError("a bar links to a path on this site, not another host")


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    width: int = 480,
    height: int = 240,
    horizontal: bool = False,
    value_format: ValueFormat = format_value,
    chart_id: str | None = None,
) -> SvgMarkup:
    """An SVG bar chart with a zero baseline, each bar labelled with its value. A bar
    with an ``href`` is a link (e.g. to the list it counts)."""
    kind = "bar-horizontal" if horizontal else "bar"
    ident = chart_id or content_id(
        kind, title, width, height, tuple((b.label, b.value, b.href) for b in bars)
    )
    if not bars:
        return document(
            kind=kind,
            ident=ident,
            width=width,
            height=height,
            title=title,
            desc="No data.",
            body=no_data(width, height),
        )
    values = finite(b.value for b in bars)
    ticks = nice_ticks(min([0.0, *values]), max([0.0, *values])) if values else [0.0, 1.0]
    desc = "; ".join(
        f"{b.label}: {'no data' if b.value is None else value_format(b.value)}" for b in bars
    )
    draw = _horizontal if horizontal else _vertical
    body = draw(bars, ticks, width, height, value_format)
    return document(
        kind=kind, ident=ident, width=width, height=height, title=title, desc=desc, body=body
    )


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _rect(bar: Bar, index: int, fmt: ValueFormat, **geometry: float) -> str:
    color = bar.color or PALETTE[index % len(PALETTE)]
    shape = el(
        "rect",
        tooltip(f"{bar.label}: {fmt(bar.value)}"),
        fill=color,
        class_="cs-chart-bar",
        **geometry,
    )
    return el("a", shape, href=bar.href) if bar.href else shape


def _missing(bar: Bar, x: float, y: float, anchor: str) -> str:
    return el(
        "text",
        tooltip(f"{bar.label}: no data") + "no data",
        x=x,
        y=y,
        text_anchor=anchor,
        fill=AXIS_COLOR,
        class_="cs-chart-missing",
    )


def _vertical(
    bars: Sequence[Bar], ticks: list[float], width: int, height: int, fmt: ValueFormat
) -> str:
    left, right, top, bottom = 48.0, width - 8.0, 18.0, height - 28.0
    sy = Scale(ticks[0], ticks[-1], bottom, top)
    slot = (right - left) / len(bars)
    parts = [value_grid(ticks, sy, across=(left, right))]
    for index, bar in enumerate(bars):
        centre = left + slot * (index + 0.5)
        parts.append(label(centre, bottom + 16, _short(bar.label), anchor="middle"))
        if bar.value is None:
            parts.append(_missing(bar, centre, sy(0) - 4, "middle"))
            continue
        y0, y1 = sy(0), sy(bar.value)
        parts.append(
            _rect(
                bar,
                index,
                fmt,
                x=centre - slot * 0.35,
                y=min(y0, y1),
                width=slot * 0.7,
                height=abs(y0 - y1),
            )
        )
        value_y = min(y0, y1) - 4 if bar.value >= 0 else max(y0, y1) + 12
        parts.append(
            label(centre, value_y, fmt(bar.value), anchor="middle", class_="cs-chart-value")
        )
    parts.append(el("line", x1=left, x2=right, y1=sy(0), y2=sy(0), stroke=AXIS_COLOR))
    return "".join(parts)


def _horizontal(
    bars: Sequence[Bar], ticks: list[float], width: int, height: int, fmt: ValueFormat
) -> str:
    left, right, top, bottom = 8 + CHAR_WIDTH * LABEL_CHARS, width - 56.0, 8.0, height - 22.0
    sx = Scale(ticks[0], ticks[-1], left, right)
    slot = (bottom - top) / len(bars)
    parts = [value_grid(ticks, sx, across=(top, bottom), vertical=True)]
    for index, bar in enumerate(bars):
        centre = top + slot * (index + 0.5)
        parts.append(label(left - 6, centre + 4, _short(bar.label), anchor="end"))
        if bar.value is None:
            parts.append(_missing(bar, sx(0) + 4, centre + 4, "start"))
            continue
        x0, x1 = sx(0), sx(bar.value)
        parts.append(
            _rect(
                bar,
                index,
                fmt,
                x=min(x0, x1),
                y=centre - slot * 0.35,
                width=abs(x1 - x0),
                height=slot * 0.7,
            )
        )
        parts.append(label(max(x0, x1) + 4, centre + 4, fmt(bar.value), class_="cs-chart-value"))
    parts.append(el("line", x1=sx(0), x2=sx(0), y1=top, y2=bottom, stroke=AXIS_COLOR))
    return "".join(parts)
