"""A word-sized trend line for tables and lists (no axes), e.g. an account's last 12
weekly health scores next to its name."""

from __future__ import annotations

from collections.abc import Sequence

from cs_platform.core.charts.svg import (
    PALETTE,
    Scale,
    SvgMarkup,
    ValueFormat,
    content_id,
    coord,
    document,
    el,
    finite,
    format_value,
    no_data,
)


def sparkline(
    values: Sequence[float | None],
    *,
    title: str,
    width: int = 100,
    height: int = 24,
    color: str = PALETTE[0],
    value_format: ValueFormat = format_value,
    chart_id: str | None = None,
) -> SvgMarkup:
    """Values in order, evenly spaced; ``None`` is a gap. The y range is the values' own
    (a sparkline shows shape; its description gives the numbers). The last value is
    marked with a dot."""
    ident = chart_id or content_id("sparkline", title, width, height, tuple(values))
    known = finite(values)
    if not known:
        return document(
            kind="sparkline",
            ident=ident,
            width=width,
            height=height,
            title=title,
            desc="No data.",
            body=no_data(width, height, "no data"),
        )
    present = [(i, v) for i, v in enumerate(values) if v is not None]
    missing = len(values) - len(present)
    desc = (
        f"From {value_format(present[0][1])} to {value_format(present[-1][1])}; "
        f"lowest {value_format(min(known))}, highest {value_format(max(known))}"
        + (f"; {missing} of {len(values)} missing." if missing else ".")
    )
    pad = 3.0
    sx = Scale(0, max(len(values) - 1, 0), pad, width - pad)
    sy = Scale(min(known), max(known), height - pad, pad)
    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((sx(index), sy(value)))
    marks = []
    for run in filter(None, runs):
        if len(run) == 1:  # a lone value between gaps: a dot, not an invisible line
            marks.append(el("circle", cx=run[0][0], cy=run[0][1], r=1.5, fill=color))
        else:
            d = "M" + " L".join(f"{coord(x)},{coord(y)}" for x, y in run)
            marks.append(
                el(
                    "path",
                    d=d,
                    fill="none",
                    stroke=color,
                    stroke_width=1.5,
                    stroke_linejoin="round",
                )
            )
    last_index, last = present[-1]
    marks.append(
        el("circle", cx=sx(last_index), cy=sy(last), r=2.5, fill=color, class_="cs-chart-last")
    )
    return document(
        kind="sparkline",
        ident=ident,
        width=width,
        height=height,
        title=title,
        desc=desc,
        body="".join(marks),
    )
