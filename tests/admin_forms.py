"""Helpers for tests that post admin forms the way a browser would."""

from __future__ import annotations

from datetime import date, datetime

from django.urls import reverse

from audit.models import AuditEvent


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def form_data(response) -> dict:
    """What the browser would post back unchanged: every field of the rendered form, and
    empty management forms for the inlines (so no inline row is touched)."""
    form = response.context["adminform"].form
    data: dict = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            data[name] = ""
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, datetime):
            data[f"{name}_0"], data[f"{name}_1"] = (
                value.date().isoformat(),
                value.time().isoformat(),
            )
        elif isinstance(value, date):
            data[name] = value.isoformat()
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = str(value)
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    return data


def new_events(since_id: int):
    return list(AuditEvent.objects.filter(id__gt=since_id).order_by("id"))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
