"""Reads over accounts, scoped to the actor. Import from here; modules split by concern."""

from customers.selectors.scope import account_get_for_actor, account_list_for_actor

__all__ = ["account_get_for_actor", "account_list_for_actor"]
