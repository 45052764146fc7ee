"""Exchange rates into the reporting currency, so ARR in several currencies can be summed,
sorted and tiered like with like (the original amount and currency stay on each row)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cs_platform.core.fields import StampField
from customers.models.choices import Currency


class ExchangeRate(models.Model):
    """One unit of `base` is worth `rate` units of `quote` from `valid_from` on.

    `quote` is the reporting currency the rate was entered for: rates quoted in another
    currency are ignored after the reporting currency changes, never silently reused.
    """

    base = models.CharField(max_length=3, choices=Currency.choices)
    quote = models.CharField(max_length=3, choices=Currency.choices)
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    valid_from = models.DateField()
    source = models.CharField(max_length=120, blank=True)
    created_at = StampField(auto_now_add=True)

    class Meta:
        ordering = ["base", "quote", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "quote", "valid_from"], name="exchange_rate_one_per_day"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
            models.CheckConstraint(
                condition=~Q(base=F("quote")), name="exchange_rate_two_currencies"
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} from {self.valid_from}"
