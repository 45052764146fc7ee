"""Which accounts an actor may see: the one scoping rule of the project.

Every read of account data starts from `account_list_for_actor` (selectors, services,
REST resources, the admin through `cs_platform.core.ports`), so no channel can see more
than another. Out-of-scope ids answer `not_found`, exactly like missing ones.
"""

from __future__ import annotations

from django.db.models import QuerySet

from cs_platform.core.actors import Actor
from cs_platform.core.errors import NotFound
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
