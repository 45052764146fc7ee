"""Customers admin, split by concern; importing the package registers every admin.

The account page itself (its 360: health, tickets, renewals) is `portfolio.admin.accounts`:
it shows rows of every app, so it lives in the top layer."""

from customers.admin import commercial, contacts, engagement, onboarding, programs

__all__ = ["commercial", "contacts", "engagement", "onboarding", "programs"]
