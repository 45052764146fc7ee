"""The account page (the 360): importing the package registers it."""

from portfolio.admin import accounts

__all__ = ["accounts"]
