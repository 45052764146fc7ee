# ruff: noqa: ANN001, ANN201  (Django views)
"""The CS workspace's own admin pages: the home dashboard (the admin index for CS staff)
and "my day". Both read through `portfolio.selectors`, scoped by the request user's book."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from cs_platform.core import clock
from cs_platform.core.admin.writes import admin_actor
from cs_platform.core.charts import Bar, Series, bar_chart, line_chart
from cs_platform.core.charts.svg import SvgMarkup
from cs_platform.core.errors import DomainError
from cs_platform.core.models import Role
from cs_platform.core.tools import invoke_tool
from customers.selectors.money import reporting_currency
from integrations.models import Connection
from integrations.selectors.syncs import sync_run_get
from portfolio.admin.actions import refusal_text
from portfolio.formatting import money_human
from portfolio.selectors.dashboard import Dashboard, dashboard_for_actor
from portfolio.selectors.my_day import my_day_for_actor
from portfolio.services.dashboard_cache import (
    dashboard_cache_get,
    dashboard_cache_key,
    dashboard_cache_set,
)

BAND_COLOURS = {
    "green": "#1a7f37",
    "yellow": "#bf8700",
    "red": "#cf222e",
    "unknown": "#8c959f",
    "insufficient_data": "#afb8c1",
    "not_scored": "#d0d7de",
}


def _owner_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("owner", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def account_list_url(**filters: Any) -> str:
    """The account list filtered as asked (band, renewal window, owner)."""
    query = "&".join(f"{k}={v}" for k, v in filters.items() if v is not None)
    return reverse("admin:customers_account_changelist") + ("?" + query if query else "")


def _short(row: Any) -> str:
    return row.band.replace("_", " ").split(" ")[0].capitalize()


def _charts(board: Dashboard, owner_id: int | None) -> dict[str, SvgMarkup]:
    owner = {"owner__id__exact": owner_id} if owner_id else {}

    def band_link(band: str) -> str | None:
        if band == "not_scored":
            return None
        return account_list_url(status__exact="active", health_band=band, **owner)

    def money_axis(value: float) -> str:
        return money_human(value, board.currency)

    # Short labels under the bars (the table beside the chart has the full ones).
    bars = [b for b in board.bands if b.accounts or b.band in ("green", "yellow", "red")]
    return {
        "accounts_by_band": bar_chart(
            [Bar(b.label, b.accounts, BAND_COLOURS.get(b.band), band_link(b.band)) for b in bars],
            title="Active accounts by health band",
            width=420,
            height=220,
        ),
        "arr_by_band": bar_chart(
            [
                Bar(_short(b), float(b.arr), BAND_COLOURS.get(b.band), band_link(b.band))
                for b in bars
            ],
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


def dashboard_cached(actor: Any, *, owner_id: int | None, today: Any, now: Any) -> Dashboard:
    """The book's dashboard from Redis when nothing it shows changed since the entry was
    filled (portfolio.services.dashboard_cache), else from the database."""
    if actor.sees_all_accounts:
        book = f"owner-{owner_id}" if owner_id is not None else "all"
    else:
        book = f"csm-{actor.user_id}"
    key = dashboard_cache_key(book=book, now=now)
    board = dashboard_cache_get(key)
    if board is None:
        board = dashboard_for_actor(actor, owner_id=owner_id, today=today, now=now)
        dashboard_cache_set(key, board)
    return board


def dashboard_view(request: HttpRequest):
    actor = admin_actor(request)
    owner_id = _owner_param(request) if actor.sees_all_accounts else None
    board = dashboard_cached(actor, owner_id=owner_id, today=clock.today(), now=clock.now())
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
        # trigger_sync is a manager's tool; the button is offered to those it accepts.
        "may_sync": actor.can_write() and (actor.role == Role.MANAGER or request.user.is_superuser),
    }
    return TemplateResponse(request, "portfolio/dashboard.html", context)


def sync_trigger_view(request: HttpRequest, connection_id: int):
    """Queue a sync through the `trigger_sync` tool, then follow the run on its page."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        out = invoke_tool("trigger_sync", admin_actor(request), {"connection_id": connection_id})
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
        return HttpResponseRedirect(reverse("admin:index") + "#sync-status")
    run = out["run"]
    if out["queued"]:
        messages.success(request, f"Sync run {run['id']} queued.")
    else:
        messages.info(request, f"Run {run['id']} was already {run['status']}; following it.")
    return HttpResponseRedirect(reverse("cs-sync-run", args=[run["id"]]))


SYNC_FINISHED = ("succeeded", "partial", "failed")


def sync_run_view(request: HttpRequest, run_id: int):
    """One sync run's progress; the page reloads itself (no script) until it finishes."""
    run = sync_run_get(run_id)
    if run is None:
        raise Http404("no such sync run")
    context = {
        **admin.site.each_context(request),
        "title": f"Sync run {run_id}",
        "run": run,
        "finished": run["status"] in SYNC_FINISHED,
        "connection": Connection.objects.filter(pk=run["connection_id"])
        .values("id", "name", "provider")
        .first(),
    }
    return TemplateResponse(request, "portfolio/sync_run.html", context)


def my_day_view(request: HttpRequest):
    """The signed-in user's open CTAs, coming renewals and accounts that turned red."""
    actor = admin_actor(request)
    owner_id = _owner_param(request) if actor.sees_all_accounts else None
    day = my_day_for_actor(actor, owner_id=owner_id, today=clock.today(), now=clock.now())
    context = {
        **admin.site.each_context(request),
        "title": "My day",
        "day": day,
        "today": day.today,
        "currency": reporting_currency(),
    }
    return TemplateResponse(request, "portfolio/my_day.html", context)
