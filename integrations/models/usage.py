"""The ledger behind product-usage syncs (Mixpanel)."""

from __future__ import annotations

from django.db import models


class FeatureUsageDay(models.Model):
    """Events per account, feature and day as last exported by one connection.

    ``health.FeatureAdoption.events_total`` is a running total; keeping each day's
    contribution lets a re-exported day (late events, a full resync) replace what it
    added before instead of adding it twice.
    """

    connection = models.ForeignKey(
        "integrations.Connection", on_delete=models.CASCADE, related_name="feature_days"
    )
    account = models.ForeignKey("customers.Account", on_delete=models.CASCADE, related_name="+")
    feature = models.ForeignKey("health.Feature", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    events = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "date", "account", "feature"],
                name="feature_usage_day_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.feature_id} {self.date}: {self.events}"
