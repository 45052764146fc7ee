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
