from django.db import models


class AccountDataVersion(models.Model):
    """A counter per account that moves with every committed write to a row the account 360
    shows (the account, its snapshots and overrides, contracts, renewals, CTAs, tickets,
    usage days, survey answers). Bumped by database triggers in the writing statement's
    own transaction (portfolio.services.overview_cache), so every write path counts, bulk
    COPY included, and a cached overview is keyed by it: a write can never be hidden by
    an entry filled before it. No foreign key: a deleted account's counter is harmless."""

    account_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.account_id}@{self.version}"


class DashboardDataVersion(models.Model):
    """One counter that moves when a transaction that wrote to any table the dashboard
    reads commits (portfolio.services.dashboard_cache): cached dashboards are keyed by it.
    A single row (id 1); its value comes from a sequence, so it is never reused."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"dashboard@{self.version}"


class DashboardWritePending(models.Model):
    """The transactions that wrote a dashboard source and have not committed yet: one row
    per transaction, inserted by the source tables' statement triggers and deleted by the
    deferred trigger that bumps `DashboardDataVersion` as the transaction commits. Empty
    outside open transactions."""

    txid = models.BigIntegerField(primary_key=True)

    def __str__(self) -> str:
        return str(self.txid)


# Every band but red: "turned red" is red now and one of these before (a partial index's
# condition, so the reader's must be the same list).
NOT_RED = ["green", "yellow", "unknown", "insufficient_data"]


class HealthWeekChange(models.Model):
    """Each account's latest health score against its newest score at least a week before
    it (and at most five weeks before that), and its band beside the previous snapshot's:
    the dashboard's "health fell most this week" and my day's "turned red" read in order
    from partial indexes instead of recomputed over every snapshot. Kept by
    triggers on the snapshots table (portfolio.services.health_week_change); a row whose
    `as_of` is no longer the latest snapshot's is ignored by the reader."""

    account_id = models.BigIntegerField(primary_key=True)
    as_of = models.DateTimeField()  # the latest snapshot's, when the row was computed
    delta = models.DecimalField(max_digits=5, decimal_places=1, null=True)
    # The latest snapshot's band and the one just before it (null: no earlier snapshot):
    # "my day" lists the accounts that just turned red from a partial index on these.
    band = models.CharField(max_length=20, default="", db_default="")
    previous_band = models.CharField(max_length=20, null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["delta", "account_id"],
                name="portfolio_week_fall",
                condition=models.Q(delta__lt=0),
            ),
            models.Index(
                fields=["-as_of", "account_id"],
                name="portfolio_turned_red",
                condition=models.Q(band="red", previous_band__in=NOT_RED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.delta}"


class SatisfactionMonth(models.Model):
    """Survey answers counted per (owner, account status, month, kind, score): the
    dashboard's NPS and CSAT per month for a book read from a few hundred rows instead of
    aggregating every answer of six months. Kept by triggers on the answers and on the
    accounts' owner and status (portfolio.services.satisfaction_rollup); owner 0: none.
    A histogram, so counts, shares and means all follow and a delete subtracts exactly."""

    owner_key = models.BigIntegerField()
    status = models.CharField(max_length=16)
    month = models.DateField()
    kind = models.CharField(max_length=8)
    score = models.SmallIntegerField()
    answers = models.IntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_key", "status", "month", "kind", "score"],
                name="portfolio_satisfaction_key",
            )
        ]
        indexes = [models.Index(fields=["status", "month"], name="portfolio_satisfaction_month")]

    def __str__(self) -> str:
        return f"{self.owner_key} {self.month} {self.kind}={self.score}: {self.answers}"
