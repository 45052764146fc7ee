# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""The account's admin page opens on its 360; the edit form is one click away (`?edit=1`).
The actions on it post to `<id>/act/<action>/` (see `portfolio.admin.actions`)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from cs_platform.core import clock
from cs_platform.core.admin.writes import admin_actor
from cs_platform.core.charts import Band, Series, line_chart
from cs_platform.core.errors import DomainError
from customers.models import CtaReason, LifecycleStage
from customers.selectors.money import reporting_currency
from health.selectors.scorecards import scorecard_of
from portfolio.admin.actions import PRIORITIES, preview_email, refusal_text, run_action
from portfolio.selectors.account_360 import Account360, account_360

BAND_FILL = {"red": "#cf222e", "yellow": "#bf8700", "green": "#1a7f37"}


def _charts(page: Account360) -> dict[str, Any]:
    bands = []
    if page.snapshot is not None:
        thresholds = scorecard_of(page.snapshot.scorecard).score_bands
        bands = [
            Band(f"Red < {thresholds.yellow_min:g}", 0, thresholds.yellow_min, BAND_FILL["red"]),
            Band(
                "Yellow",
                thresholds.yellow_min,
                thresholds.green_min,
                BAND_FILL["yellow"],
            ),
            Band(
                f"Green ≥ {thresholds.green_min:g}", thresholds.green_min, 100, BAND_FILL["green"]
            ),
        ]
    usage_90 = [(row["date"], row["active_users"]) for row in page.usage]
    return {
        "health": line_chart(
            [Series("Health score", page.history, "#24292f")],
            title="Health score, last 180 days",
            bands=bands,
            y_min=0,
            y_max=100,
            width=620,
            height=230,
        ),
        "usage_30": line_chart(
            [Series("Active users", usage_90[-30:], "#0969da")],
            title="Active users per day, last 30 days",
            width=420,
            height=200,
        ),
        "usage_90": line_chart(
            [Series("Active users", usage_90, "#0969da")],
            title="Active users per day, last 90 days",
            width=420,
            height=200,
        ),
    }


class AccountPageMixin:
    """For `AccountAdmin`: the 360 as the change page's GET, and the action endpoints."""

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        own = [
            path(
                "<path:object_id>/act/<slug:action>/",
                self.admin_site.admin_view(self.action_view),
                name=f"{prefix}_act",
            ),
            path(
                "<path:object_id>/email-preview/",
                self.admin_site.admin_view(self.email_preview_view),
                name=f"{prefix}_email_preview",
            ),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and "edit" not in request.GET:
            return self.account_360_view(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def _account_or_redirect(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return None, self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        return obj, None

    def _page_url(self, obj) -> str:
        return reverse("admin:customers_account_change", args=[obj.pk])

    def account_360_view(self, request, object_id):
        obj, redirect = self._account_or_redirect(request, object_id)
        if redirect is not None:
            return redirect
        page = account_360(obj, today=clock.today(), now=clock.now())
        context = {
            **self.admin_site.each_context(request),
            "title": obj.name,
            "subtitle": None,
            "opts": self.opts,
            "original": obj,
            "account": obj,
            "page": page,
            "o": page.overview,
            "charts": _charts(page),
            "currency": reporting_currency(),
            "may_write": self.has_change_permission(request, obj),
            "stages": LifecycleStage.choices,
            "cta_reasons": CtaReason.choices,
            "priorities": PRIORITIES,
            "today": clock.today(),
            "edit_url": self._page_url(obj) + "?edit=1",
        }
        return TemplateResponse(request, "portfolio/account_360.html", context)

    def action_view(self, request, object_id, action):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj, redirect = self._account_or_redirect(request, object_id)
        if redirect is not None:
            return redirect
        if not self.has_change_permission(request, obj):
            messages.error(request, "Your role may look at this account but not act on it.")
        else:
            run_action(request, admin_actor(request), obj, action)
        return HttpResponseRedirect(self._page_url(obj) + "#actions")

    def email_preview_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj, redirect = self._account_or_redirect(request, object_id)
        if redirect is not None:
            return redirect
        if not self.has_change_permission(request, obj):
            messages.error(request, "Your role may look at this account but not act on it.")
            return HttpResponseRedirect(self._page_url(obj))
        try:
            preview = preview_email(request, admin_actor(request), obj)
        except DomainError as exc:
            messages.error(request, refusal_text(exc))
            return HttpResponseRedirect(self._page_url(obj) + "#actions")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Send this e-mail? ({obj.name})",
            "opts": self.opts,
            "original": obj,
            "account": obj,
            "preview": preview,
            # One key per preview: a double click on "Send" sends once.
            "idempotency_key": f"admin-email-{uuid.uuid4().hex}",
            "page_url": self._page_url(obj),
        }
        return TemplateResponse(request, "portfolio/email_confirm.html", context)
