"""The SVG charts (cs_platform/core/charts/): pure functions, tested without a database.

The SVG is parsed as XML, so geometry is checked on numbers, not on text."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_platform.core.charts import Band, Bar, Series, SvgMarkup, bar_chart, line_chart, sparkline
from cs_platform.core.charts.svg import nice_ticks, tick_label

NS = {"svg": "http://www.w3.org/2000/svg"}
DAY = date(2026, 3, 2)
HEALTH_BANDS = [
    Band("Red", 0, 40, "#c0392b"),
    Band("Yellow", 40, 70, "#d4a017"),
    Band("Green", 70, None, "#2e8b57"),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def find(root: ET.Element, path: str) -> list[ET.Element]:
    return root.findall(path, NS)


def weekly(values: list[float | None]) -> list[tuple[date, float | None]]:
    return [(DAY + timedelta(weeks=i), v) for i, v in enumerate(values)]


def accessible_name_and_description(root: ET.Element) -> tuple[str, str]:
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    title = root.find("svg:title", NS)
    desc = root.find("svg:desc", NS)
    assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
    return title.text, desc.text


def test_line_chart_is_an_image_with_a_name_and_a_description_of_its_data():
    svg = line_chart(
        [Series("Health", weekly([72.5, 70.1, None, 65.0, 41.2]))],
        title="Health, 5 weeks",
        bands=HEALTH_BANDS,
        y_min=0,
        y_max=100,
        value_format=lambda v: f"{v:.1f}",
    )
    name, desc = accessible_name_and_description(parse(svg))
    assert name == "Health, 5 weeks"
    assert desc == (
        "Health: 4 points from 2 Mar 2026 to 30 Mar 2026; first 72.5, last 41.2, "
        "lowest 41.2, highest 72.5; 1 missing. "
        "Bands: Red 0.0–40.0, Yellow 40.0–70.0, Green from 70.0."
    )


def test_line_chart_places_values_and_bands_on_the_axis():
    # 640×240 with y 0..100: the plot runs from y=214 (0) up to y=14 (100).
    root = parse(
        line_chart(
            [Series("Health", weekly([50.0, 100.0, 0.0]))],
            title="t",
            bands=HEALTH_BANDS,
            y_min=0,
            y_max=100,
        )
    )
    dots = [(float(c.get("cx")), float(c.get("cy"))) for c in find(root, ".//svg:g/svg:circle")]
    assert dots == [(48, 114), (336, 14), (624, 214)]
    bands = {
        r.find("svg:title", NS).text: (float(r.get("y")), float(r.get("height")))
        for r in find(root, "svg:rect[@class='cs-chart-band']")
    }
    assert bands == {"Red": (134, 80), "Yellow": (74, 60), "Green": (14, 60)}
    labels = [t.text for t in find(root, "svg:text")]
    assert ["0", "25", "50", "75", "100"] == [t for t in labels if t.isdigit()]


def test_missing_values_break_the_line_and_are_never_drawn():
    root = parse(line_chart([Series("Users", weekly([10, 12, None, None, 9, 8]))], title="t"))
    paths = find(root, ".//svg:g/svg:path")
    assert len(paths) == 2  # one line before the gap, one after
    assert [p.get("d").count("L") for p in paths] == [1, 1]
    assert len(find(root, ".//svg:g/svg:circle")) == 4


def test_the_y_axis_starts_at_zero_unless_told_otherwise():
    """A drop from 95 to 90 is not drawn as a fall to the bottom of the chart."""
    values = weekly([95.0, 93.0, 90.0])
    default = [
        t.text for t in find(parse(line_chart([Series("s", values)], title="t")), "svg:text")
    ]
    assert "0" in default
    zoomed = line_chart([Series("s", values)], title="t", y_min=85, y_max=100)
    assert "0" not in [t.text for t in find(parse(zoomed), "svg:text")]


def test_several_series_get_a_legend_and_their_own_colours():
    root = parse(
        line_chart(
            [Series("NPS", weekly([10, 20])), Series("CSAT", weekly([4, 5]), color="#123456")],
            title="Voice of customer",
        )
    )
    assert [t.text for t in find(root, "svg:g[@class='cs-chart-legend']/svg:text")] == [
        "NPS",
        "CSAT",
    ]
    strokes = [p.get("stroke") for p in find(root, ".//svg:g/svg:path")]
    assert strokes[1] == "#123456" and strokes[0] != "#123456"


def test_dense_lines_keep_hover_values_but_hide_the_dots():
    root = parse(
        line_chart([Series("DAU", [(DAY + timedelta(days=i), i) for i in range(90)])], title="t")
    )
    dots = find(root, ".//svg:g/svg:circle")
    assert len(dots) == 90 and {d.get("fill-opacity") for d in dots} == {"0"}
    assert dots[-1].find("svg:title", NS).text == "DAU, 30 May 2026: 89"


def test_datetimes_and_numbers_work_as_x_but_not_mixed():
    moments = [(datetime(2026, 3, 2, 8, tzinfo=UTC) + timedelta(hours=6 * i), i) for i in range(5)]
    assert parse(line_chart([Series("s", moments)], title="t")) is not None
    assert parse(line_chart([Series("s", [(1, 2.0), (3, 4.0)])], title="t")) is not None
    with pytest.raises(TypeError):
        line_chart([Series("s", [(DAY, 1.0), (3, 4.0)])], title="t")


def test_a_single_point_is_centred_not_divided_by_zero():
    root = parse(line_chart([Series("s", [(DAY, 5.0)])], title="t"))
    (dot,) = find(root, ".//svg:g/svg:circle")
    assert float(dot.get("cx")) == 336


def test_no_data_says_so_instead_of_drawing_zeros():
    for svg in (
        line_chart([], title="Empty"),
        line_chart([Series("Health", weekly([None, None]))], title="Empty"),
    ):
        root = parse(svg)
        assert [t.text for t in find(root, "svg:text")] == ["No data"]
        assert not find(root, ".//svg:path")


def test_every_text_and_attribute_is_escaped():
    hostile = '<script>alert("x")</script> & "quotes"'
    svg = line_chart(
        [Series(hostile, weekly([1, 2]))],
        title=hostile,
        bands=[Band(hostile, 0, 1, "#fff")],
    )
    assert "<script" not in svg
    root = parse(svg)  # still well-formed XML
    assert root.find("svg:title", NS).text == hostile
    assert root.find(".//svg:g[@class='cs-chart-series']", NS).get("data-series") == hostile
    svg = bar_chart([Bar(hostile, 1)], title=hostile)
    assert "<script" not in svg and parse(svg).find("svg:title", NS).text == hostile


def test_the_markup_is_inserted_as_is_by_templates():
    from django.utils.html import conditional_escape

    svg = sparkline([1, 2, 3], title="t")
    assert isinstance(svg, SvgMarkup) and svg.__html__() == svg
    assert conditional_escape(svg) == svg


def test_ids_are_stable_and_differ_between_charts():
    one = line_chart([Series("s", weekly([1, 2]))], title="One")
    assert one == line_chart([Series("s", weekly([1, 2]))], title="One")
    two = line_chart([Series("s", weekly([1, 2]))], title="Two")
    assert parse(one).get("id") != parse(two).get("id")
    chosen = parse(sparkline([1, 2], title="t", chart_id="health-trend"))
    assert chosen.get("id") == "health-trend"
    assert chosen.get("aria-labelledby") == "health-trend-title health-trend-desc"


def test_bar_heights_are_proportional_from_a_zero_baseline():
    root = parse(
        bar_chart(
            [Bar("Green", 120), Bar("Yellow", 48), Bar("Red", 12), Bar("Unscored", None)],
            title="Accounts by band",
        )
    )
    rects = find(root, "svg:rect[@class='cs-chart-bar']")
    heights = [float(r.get("height")) for r in rects]
    assert len(heights) == 3
    assert heights[0] / heights[1] == pytest.approx(2.5, rel=0.01)
    assert heights[0] / heights[2] == pytest.approx(10, rel=0.02)
    bottoms = {round(float(r.get("y")) + float(r.get("height")), 1) for r in rects}
    assert len(bottoms) == 1  # one baseline
    missing = root.find("svg:text[@class='cs-chart-missing']", NS)
    assert missing.find("svg:title", NS).text == "Unscored: no data"
    _, desc = accessible_name_and_description(root)
    assert desc == "Green: 120; Yellow: 48; Red: 12; Unscored: no data"


def test_horizontal_bars_shorten_long_labels_and_link_where_asked():
    root = parse(
        bar_chart(
            [Bar("Alexandra Montgomery-Smith", 1_234_567.5, href="/admin/?owner=3&band=red")],
            title="ARR by owner",
            horizontal=True,
            value_format=lambda v: f"€{v:,.0f}",
        )
    )
    texts = [t.text for t in find(root, "svg:text")]
    assert "Alexandra Montg…" in texts and "€1,234,568" in texts
    link = root.find("svg:a", NS)
    assert link.get("href") == "/admin/?owner=3&band=red"
    assert link.find("svg:rect/svg:title", NS).text == "Alexandra Montgomery-Smith: €1,234,568"
    assert float(link.find("svg:rect", NS).get("width")) > 0


@pytest.mark.parametrize("href", ["javascript:alert(1)", "https://example.com/", "//evil.test/"])
def test_bars_link_only_within_the_site(href):
    with pytest.raises(ValueError, match="path on this site"):
        Bar("x", 1, href=href)


def test_negative_bars_hang_below_the_baseline():
    root = parse(bar_chart([Bar("Net", -20), Bar("Gross", 40)], title="t"))
    net, gross = find(root, "svg:rect[@class='cs-chart-bar']")
    assert float(net.get("y")) == pytest.approx(float(gross.get("y")) + float(gross.get("height")))


def test_sparkline_describes_its_numbers_and_marks_the_last_value():
    root = parse(sparkline([50, 52, None, 48, 45, 39, None], title="Health trend"))
    name, desc = accessible_name_and_description(root)
    assert (name, desc) == ("Health trend", "From 50 to 39; lowest 39, highest 52; 2 of 7 missing.")
    last = root.find("svg:circle[@class='cs-chart-last']", NS)
    assert float(last.get("cy")) == pytest.approx(21)  # the lowest value sits at the bottom
    assert float(last.get("cx")) == pytest.approx(3 + 5 * 94 / 6, abs=0.05)
    assert len(find(root, "svg:path")) == 2
    empty = parse(sparkline([None, None], title="t"))
    assert [t.text for t in find(empty, "svg:text")] == ["no data"]


@pytest.mark.parametrize(
    ("lo", "hi", "ticks"),
    [
        (0, 100, [0, 25, 50, 75, 100]),
        (0, 73, [0, 20, 40, 60, 80]),
        (-12, 40, [-20, 0, 20, 40]),
        (0, 0, [-1, -0.5, 0, 0.5, 1]),
        (0, 5e-324, [-1, -0.5, 0, 0.5, 1]),  # a span too small to divide
        (50, 50, [45, 47.5, 50, 52.5, 55]),
        (0.2, 0.9, [0.2, 0.4, 0.6, 0.8, 1.0]),
    ],
)
def test_nice_ticks_are_round_and_cover_the_range(lo, hi, ticks):
    assert nice_ticks(lo, hi) == pytest.approx(ticks)


def test_tick_labels_carry_the_decimals_their_step_needs():
    assert [tick_label(v, 0.25) for v in (0, 0.25, 1)] == ["0.00", "0.25", "1.00"]
    assert tick_label(1_500_000, 500_000) == "1,500,000"
    assert tick_label(0.4, 0.2) == "0.4"


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
values = st.lists(
    st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(
    values=values,
    width=st.integers(120, 900),
    height=st.integers(80, 400),
)
def test_any_data_gives_well_formed_svg_inside_its_viewbox(values, width, height):
    charts = [
        line_chart([Series("s", weekly(values))], title="t", width=width, height=height),
        bar_chart(
            [Bar(str(i), v) for i, v in enumerate(values[:12])],
            title="t",
            width=width,
            height=height,
        ),
        bar_chart(
            [Bar(str(i), v) for i, v in enumerate(values[:12])],
            title="t",
            width=width,
            height=height,
            horizontal=True,
        ),
        sparkline(values, title="t", width=width, height=height),
    ]
    for svg in charts:
        root = parse(svg)
        assert "nan" not in svg.lower() and "inf" not in svg.lower()
        for node in root.iter():
            for attr in ("x", "cx", "x1", "x2"):
                if node.get(attr) is not None:
                    assert -1 <= float(node.get(attr)) <= width + 1, (attr, node.attrib)
            for attr in ("y", "cy", "y1", "y2"):
                if node.get(attr) is not None:
                    assert -1 <= float(node.get(attr)) <= height + 1, (attr, node.attrib)
            if node.get("d"):
                numbers = [float(n) for n in _NUMBER.findall(node.get("d"))]
                assert all(math.isfinite(n) for n in numbers)
                assert all(-1 <= n <= max(width, height) + 1 for n in numbers)
