"""Customers admin, split by concern; importing the package registers every admin."""

from customers.admin import accounts, commercial, engagement, onboarding, programs

__all__ = ["accounts", "commercial", "engagement", "onboarding", "programs"]
