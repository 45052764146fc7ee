"""Actor-scoped querysets behind the customers REST resources.

Each starts from `account_list_for_actor(actor)`, so a CSM's token lists and fetches only
rows of accounts they own, exactly as the tools do. Related rows the serializers print
are joined here, so a page costs the same number of queries at any size.
"""

from __future__ import annotations

from django.db.models import QuerySet

from cs_platform.core.actors import Actor
from customers.models import Account, Contact, Contract
from customers.selectors.scope import account_list_for_actor


def account_list_for_api(actor: Actor) -> QuerySet[Account]:
    return account_list_for_actor(actor).select_related("owner")


def contact_list_for_actor(actor: Actor) -> QuerySet[Contact]:
    return Contact.objects.filter(account__in=account_list_for_actor(actor))


def contract_list_for_actor(actor: Actor) -> QuerySet[Contract]:
    return Contract.objects.filter(account__in=account_list_for_actor(actor))
