"""What the providers hold of a person erased under GDPR, and what erasure does about it
(registered with `gdpr.providers` at start-up; runs in the erasure's transaction).

- Intercom: its contacts API deletes a contact: one outbox row per contact (keyed by the
  target, so a second erasure queues nothing new), sent after commit.
- Zendesk: the user behind `zendesk_user_id` is not deleted from here (no users API is
  implemented, and the sandbox has none to test one against): to do by hand.
- SendGrid: keeps its e-mail activity for the messages sent to the person; there is no
  call that deletes one recipient's activity: to do by hand (a support request to
  SendGrid, or wait for its retention to expire).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from cs_platform.core import clock
from customers.models import Contact
from gdpr.providers import BY_HAND, REQUESTED, ProviderCopy
from integrations.models import Connection, EmailMessage, OutboxKind, Provider
from integrations.services.outbox.messages import outbox_deletion_create


def _key(kind: str, target: str) -> str:
    # Stable per target; a plain hash is enough here (the key is not a secret, only unique).
    return "gdpr-" + hashlib.sha256(f"{kind}:{target}".encode()).hexdigest()[:48]


def provider_copies_delete(contacts: Sequence[Contact]) -> list[ProviderCopy]:
    from integrations.tasks import outbox_deliver_on_commit

    copies: list[ProviderCopy] = []
    intercom_ids = sorted({c.intercom_contact_id for c in contacts if c.intercom_contact_id})
    if intercom_ids:
        connection = (
            Connection.objects.filter(provider=Provider.INTERCOM, enabled=True)
            .order_by("pk")
            .first()
        )
        now = clock.now()
        for target in intercom_ids:
            if connection is None:
                copies.append(
                    ProviderCopy(
                        "intercom",
                        BY_HAND,
                        "no enabled Intercom connection: delete the contact in Intercom",
                        provider_ref=target,
                    )
                )
                continue
            kind = OutboxKind.CONTACT_DELETE
            row = outbox_deletion_create(
                kind=kind, connection=connection, target_id=target, key=_key(kind, target), now=now
            )
            outbox_deliver_on_commit([row.pk])
            copies.append(
                ProviderCopy(
                    "intercom",
                    REQUESTED,
                    "deletion queued (outbox, after commit)",
                    outbox_id=row.pk,
                )
            )
    for target in sorted({c.zendesk_user_id for c in contacts if c.zendesk_user_id}):
        copies.append(
            ProviderCopy(
                "zendesk",
                BY_HAND,
                "no Zendesk user deletion is made from here: delete the user in Zendesk "
                "(and then permanently, from deleted users)",
                provider_ref=target,
            )
        )
    mailed = EmailMessage.objects.filter(contact__in=[c.pk for c in contacts]).count()
    if mailed:
        copies.append(
            ProviderCopy(
                "sendgrid",
                BY_HAND,
                f"SendGrid keeps the activity of {mailed} message(s) sent to the person; "
                "no API deletes one recipient's: ask SendGrid support, or let its "
                "retention expire",
            )
        )
    return copies
