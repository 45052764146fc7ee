"""Which accounts an actor may see: the one scoping rule of the project.

Every read of account data starts from `account_list_for_actor` (selectors, services,
REST resources, the admin through `cs_platform.core.ports`), so no channel can see more
than another. Out-of-scope ids answer `not_found`, exactly like missing ones.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from cs_platform.core.actors import Actor
from cs_platform.core.errors import NotFound
from cs_platform.core.models import Role
from customers.models import Account


def account_list_for_actor(actor: Actor) -> QuerySet[Account]:
    """Accounts this actor may see: all for managers and viewers, own book for a CSM."""
    accounts = Account.objects.all()
    if actor.sees_all_accounts:
        return accounts
    return accounts.filter(owner_id=actor.user_id)


def account_get_for_actor(actor: Actor, account_id: int, *, for_update: bool = False) -> Account:
    """One account in the actor's scope. Out-of-scope ids look exactly like missing ones,
    so a CSM cannot probe which ids exist in another CSM's book."""
    qs = account_list_for_actor(actor).select_related("owner")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    account = qs.filter(pk=account_id).first()
    if account is None:
        raise NotFound(
            f"account {account_id} not found in your book of business",
            details={"field": "account_id", "account_id": account_id},
        )
    return account


def user_list_assignable(accounts: QuerySet[Account]) -> QuerySet:
    """Active users to whom work on any of `accounts` may be assigned: those who can see
    it by the rule above and whose role may act (managers and superusers see every
    account; a CSM sees their own book; viewers only look). The admin's owner choices;
    `cs_platform.core.records.account_assignee_check` enforces the same on every write."""
    workers = (
        Q(is_superuser=True)
        | Q(staff_profile__role=Role.MANAGER)
        | Q(staff_profile__role=Role.CSM, pk__in=accounts.values("owner_id"))
    )
    return get_user_model().objects.filter(workers, is_active=True).order_by("username")
