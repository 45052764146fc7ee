# ruff: noqa: ANN001, ANN201, ANN202, ANN003  (admin hook overrides; as for **/admin.py)
"""Owner pickers offer only people who can see and work the row's account (the services
refuse anyone else: `cs_platform.core.records.account_assignee_check`)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from cs_platform.core.admin.writes import admin_actor
from customers.models import Account
from customers.selectors import account_list_for_actor
from customers.selectors.scope import user_list_assignable


def assignee_choices(request, account_id: int | None, keep: list[int | None]) -> QuerySet:
    """Who may be assigned work on the account (on an add page, on any account of the
    request user's book), plus whoever is assigned already (so saving never drops them)."""
    if account_id is not None:
        accounts = Account.objects.filter(pk=account_id)
    else:
        accounts = account_list_for_actor(admin_actor(request))
    assignable = user_list_assignable(accounts).values("pk")
    kept = [pk for pk in keep if pk is not None]
    return (
        get_user_model().objects.filter(Q(pk__in=assignable) | Q(pk__in=kept)).order_by("username")
    )


class AssigneeChoicesMixin:
    """For admins of account-bound rows with an owner: the picker is a list of those who
    may take the work."""

    assignee_fields: tuple[str, ...] = ("owner",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        for name in self.assignee_fields:
            field = form.base_fields.get(name)
            if field is None or not hasattr(field, "queryset"):
                continue
            account_id = getattr(obj, "account_id", None) if obj is not None else None
            current = getattr(obj, f"{name}_id", None) if obj is not None else None
            field.queryset = assignee_choices(request, account_id, [current])
        return form
