"""The identities of people erased under GDPR, kept without plaintext so that no path
that creates contacts from outside (a provider sync, a webhook, an API call, the client
registration) brings an erased person back.

Each row is a keyed HMAC of one normalised identifier (an e-mail address, a provider's
contact or user id, the caller's external id); the key is kept outside the database
(`customers.services.erased`), so a copy of the table cannot be tested against a list
of addresses.
"""

from __future__ import annotations

from django.db import models


class ErasedIdentityKind(models.TextChoices):
    EMAIL = "email", "E-mail address"
    EXTERNAL_ID = "external_id", "Caller's external id"
    INTERCOM = "intercom_contact_id", "Intercom contact id"
    ZENDESK = "zendesk_user_id", "Zendesk user id"


class ErasedIdentity(models.Model):
    kind = models.CharField(max_length=24, choices=ErasedIdentityKind.choices)
    digest = models.CharField(max_length=64, help_text="HMAC-SHA256 of the normalised value")
    erased_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "erased identities"
        constraints = [
            models.UniqueConstraint(fields=["kind", "digest"], name="erased_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.digest[:12]}…"
