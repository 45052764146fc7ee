"""Account vocabulary. Stages and tiers are shared with other apps' contracts, so they are
defined once in core (cs_platform.core.contracts.vocabulary) and re-exported here."""

from django.db import models

from cs_platform.core.contracts.vocabulary import LifecycleStage, Tier

__all__ = [
    "AccountStatus",
    "Currency",
    "Industry",
    "LifecycleStage",
    "PaymentStatus",
    "Tier",
]


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CHURNED = "churned", "Churned"
    PROSPECT = "prospect", "Prospect"


class PaymentStatus(models.TextChoices):
    CURRENT = "current", "Current"
    LATE = "late", "Late"
    DELINQUENT = "delinquent", "Delinquent"
    UNKNOWN = "unknown", "Unknown"


class Industry(models.TextChoices):
    SOFTWARE = "software", "Software"
    FINANCE = "finance", "Financial services"
    HEALTHCARE = "healthcare", "Healthcare"
    RETAIL = "retail", "Retail"
    MANUFACTURING = "manufacturing", "Manufacturing"
    EDUCATION = "education", "Education"
    MEDIA = "media", "Media"
    LOGISTICS = "logistics", "Logistics"
    OTHER = "other", "Other"


class Currency(models.TextChoices):
    USD = "USD", "US dollar"
    EUR = "EUR", "Euro"
    GBP = "GBP", "Pound sterling"
