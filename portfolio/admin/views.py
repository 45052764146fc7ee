# ruff: noqa: ANN001, ANN201  (Django views)
"""The CS workspace's own admin pages: the home dashboard (the admin index for CS staff)
and "my day". Both read through `portfolio.selectors`, scoped by the request user's book."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from cs_platform.core import clock
from cs_platform.core.admin.writes import admin_actor
from cs_platform.core.charts import Bar, Series, bar_chart, line_chart
from cs_platform.core.charts.svg import SvgMarkup
from portfolio.formatting import money_human
from portfolio.selectors.dashboard import Dashboard, dashboard_for_actor

BAND_COLOURS = {
    "green": "#1a7f37",
    "yellow": "#bf8700",
    "red": "#cf222e",
    "unknown": "#8c959f",
    "not_scored": "#d0d7de",
}


def _owner_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("owner", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def account_list_url(**filters: Any) -> str:
    """The account list filtered as asked (band, renewal window, owner)."""
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v is not None)
    return reverse("admin:customers_account_changelist") + ("?" + query if query else "")


def _charts(board: Dashboard, owner_id: int | None) -> dict[str, SvgMarkup]:
    owner = {"owner__id__exact": owner_id} if owner_id else {}

    def band_link(band: str) -> str | None:
        if band == "not_scored":
            return None
        return account_list_url(status__exact="active", health_band=band, **owner)

    def money_axis(value: float) -> str:
        return money_human(value, board.currency)

    bars = [b for b in board.bands if b.accounts or b.band != "not_scored"]
    return {
        "accounts_by_band": bar_chart(
            [Bar(b.label, b.accounts, BAND_COLOURS.get(b.band), band_link(b.band)) for b in bars],
            title="Active accounts by health band",
            width=420,
            height=220,
        ),
        "arr_by_band": bar_chart(
            [Bar(b.label, float(b.arr), BAND_COLOURS.get(b.band), band_link(b.band)) for b in bars],
            title=f"ARR by health band ({board.currency})",
            width=420,
            height=220,
            value_format=money_axis,
        ),
        "nps": line_chart(
            [Series("NPS", [(m["month"], m["nps"]) for m in board.satisfaction])],
            title="NPS per month",
            width=420,
            height=200,
            y_min=-100,
            y_max=100,
        ),
        "csat": line_chart(
            [Series("CSAT", [(m["month"], m["csat_avg"]) for m in board.satisfaction])],
            title="CSAT per month (1–5)",
            width=420,
            height=200,
            y_min=1,
            y_max=5,
        ),
    }


def dashboard_view(request: HttpRequest):
    actor = admin_actor(request)
    owner_id = _owner_param(request) if actor.sees_all_accounts else None
    board = dashboard_for_actor(actor, owner_id=owner_id, today=clock.today(), now=clock.now())
    owner_filter = {"owner__id__exact": owner_id} if owner_id else {}
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "board": board,
        "owner_id": owner_id,
        "charts": _charts(board, owner_id),
        "renewals_url": account_list_url(status__exact="active", renewal_within=90, **owner_filter),
        "red_renewals_url": account_list_url(
            status__exact="active", renewal_within=90, health_band="red", **owner_filter
        ),
        "app_list": admin.site.get_app_list(request),
    }
    return TemplateResponse(request, "portfolio/dashboard.html", context)
