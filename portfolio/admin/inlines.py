# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""What hangs off an account, shown on its page. Each inline is capped (newest first) and
loads its foreign-key choices once, so the page's query count does not grow with rows."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When

from cs_platform.core import clock
from cs_platform.core.admin.base import CsTabularInline
from customers.admin.assignees import assignee_choices
from customers.models import CTA, CTA_OPEN_STATUSES, Contact, Contract, Renewal, RenewalStage
from integrations.models import SupportTicket

OPEN_FIRST = Case(
    When(status__in=CTA_OPEN_STATUSES, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


def _owner_choices(request, model, parent):
    """Who may own a row on the account: those who can see and work it, plus current
    owners (so saving never drops one)."""
    owners = list(model.objects.filter(account=parent).values_list("owner_id", flat=True))
    return assignee_choices(request, parent.pk if parent else None, owners)


class ContactInline(CsTabularInline):
    model = Contact
    fields = ("first_name", "last_name", "email", "title", "role", "is_primary", "email_opt_out")
    max_rows = 50
    row_ordering = ("-is_primary", "last_name", "id")


class ContractInline(CsTabularInline):
    model = Contract
    fields = ("name", "start_date", "end_date", "arr", "currency", "seats", "status", "auto_renew")
    row_ordering = ("-start_date", "-id")


class RenewalInline(CsTabularInline):
    model = Renewal
    fields = (
        "renewal_date",
        "days_to_renewal",
        "contract",
        "current_arr",
        "proposed_arr",
        "currency",
        "probability",
        "forecast_category",
        "stage",
        "outcome",
        "owner",
    )
    readonly_fields = ("days_to_renewal",)
    cached_choice_fields = ("contract", "owner")
    row_ordering = ("-renewal_date", "-id")

    def cached_choice_queryset(self, request, parent, name, qs):
        if name == "contract":
            return qs.filter(account=parent) if parent is not None else qs.none()
        return _owner_choices(request, Renewal, parent)

    def days_to_renewal(self, obj):
        if obj.renewal_date is None or obj.stage == RenewalStage.CLOSED:
            return None
        return (obj.renewal_date - clock.today()).days


class SupportTicketInline(CsTabularInline):
    """Tickets are mirrored from the help desk: shown here, edited on their own page."""

    model = SupportTicket
    read_only = True
    fields = (
        "subject",
        "priority",
        "status",
        "opened_at",
        "sla_breached",
        "external_id",
        "connection",
    )
    readonly_fields = fields
    row_ordering = ("-opened_at", "-id")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("connection")
            .defer("connection__credentials", "connection__webhook_secret")
        )


class CtaInline(CsTabularInline):
    model = CTA
    fields = (
        "title",
        "reason",
        "priority",
        "status",
        "owner",
        "due_date",
        "escalation_level",
        "source",
    )
    cached_choice_fields = ("owner",)
    row_ordering = (OPEN_FIRST, "-created_at", "-id")
    verbose_name_plural = "CTAs (open first)"

    def cached_choice_queryset(self, request, parent, name, qs):
        return _owner_choices(request, CTA, parent)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if "source" in formset.form.base_fields:
            formset.form.base_fields["source"].initial = "manual"
        return formset
