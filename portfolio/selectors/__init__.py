"""Reads that combine every app around accounts: the 360, the portfolio list, the timeline.
Each starts from `customers.selectors.account_list_for_actor` or an account already in
scope."""
