"""Server-rendered SVG charts: pure functions from data to escaped SVG markup.

No JavaScript library and nothing fetched: a chart is part of the page's HTML, renders
under the strict Content-Security-Policy (presentation attributes, no ``style``), and
works on an install with no internet. Each chart is an image with an accessible name
(``<title>``) and a description of its data (``<desc>``); marks carry tooltips. Missing
values are gaps or "no data", never zeros. The result is an ``SvgMarkup`` string that
templates insert as is (it has ``__html__``): every value in it was escaped.

    from cs_platform.core.charts import Band, Series, line_chart
    line_chart([Series("Health", [(d1, 62.0), (d2, 48.5)])], title="Health, 90 days",
               bands=[Band("Red", 0, 40, "#c0392b")], y_min=0, y_max=100)
"""

from cs_platform.core.charts.bar import Bar, bar_chart
from cs_platform.core.charts.line import Band, Series, line_chart
from cs_platform.core.charts.sparkline import sparkline
from cs_platform.core.charts.svg import SvgMarkup, format_value

__all__ = [
    "Band",
    "Bar",
    "Series",
    "SvgMarkup",
    "bar_chart",
    "format_value",
    "line_chart",
    "sparkline",
]
