"""The idempotent inbox: each provider event is stored once and applied once.

A delivery is one transaction: every event is inserted into ``WebhookEvent`` (unique on
provider + event id) and applied in a savepoint, and one audit event sums the delivery
up. A replayed event finds its row and does nothing; a concurrent duplicate waits on
the unique index until the first delivery commits, then does nothing either. Events
are taken in event-id order so two overlapping deliveries lock rows in the same order.

An event whose application failed is stored as ``failed`` with the error (the rest of
the delivery still commits); when the provider delivers it again it is applied again,
the one case where a repeat is not a no-op.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from audit.services import audit_event_record
from integrations.models import Connection, WebhookEvent, WebhookStatus
from integrations.webhooks.apply import APPLIERS
from integrations.webhooks.parse import InboxItem

logger = logging.getLogger(__name__)

_AUDIT_SAMPLE = 50


@dataclass
class DeliveryResult:
    received: int = 0
    new: int = 0
    duplicates: int = 0
    retried: int = 0
    failed: int = 0
    outcomes: Counter = field(default_factory=Counter)
    event_ids: list[str] = field(default_factory=list)  # applied this time

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "new": self.new,
            "duplicates": self.duplicates,
            "retried": self.retried,
            "failed": self.failed,
            "outcomes": dict(self.outcomes),
        }


def _claim(connection: Connection, item: InboxItem, now: datetime) -> tuple[WebhookEvent, bool]:
    """The inbox row for ``item`` and whether it must be applied now."""
    event, created = WebhookEvent.objects.get_or_create(
        provider=connection.provider,
        event_id=item.event_id,
        defaults={
            "connection": connection,
            "event_type": item.event_type,
            "payload": item.payload,
            "received_at": now,
        },
    )
    if created:
        return event, True
    event = WebhookEvent.objects.select_for_update().get(pk=event.pk)
    return event, event.status == WebhookStatus.FAILED


def webhook_delivery_store(
    *, connection: Connection, items: list[InboxItem], now: datetime
) -> DeliveryResult:
    """Store and apply one verified delivery; returns what happened to each event."""
    apply = APPLIERS[connection.provider]
    result = DeliveryResult(received=len(items))
    with transaction.atomic():
        for item in sorted(items, key=lambda i: i.event_id):
            event, pending = _claim(connection, item, now)
            if not pending:
                result.duplicates += 1
                continue
            if event.status == WebhookStatus.FAILED:
                result.retried += 1
            else:
                result.new += 1
            try:
                with transaction.atomic():
                    outcome = apply(connection, item.event_id, item.payload, now)
            except Exception as exc:  # one bad event must not lose the rest of the delivery
                logger.exception("%s webhook event %s failed", connection.provider, item.event_id)
                event.status, event.error = WebhookStatus.FAILED, f"{type(exc).__name__}: {exc}"
                event.processed_at = None
                result.failed += 1
                outcome = "failed"
            else:
                event.status, event.error, event.processed_at = WebhookStatus.PROCESSED, "", now
                result.event_ids.append(item.event_id)
            event.save(update_fields=["status", "error", "processed_at"])
            result.outcomes[outcome] += 1
        if result.new or result.retried:
            audit_event_record(
                actor=None,
                actor_label=f"webhook:{connection.provider}:{connection.pk}",
                channel="webhook",
                action="webhook.received",
                obj=connection,
                changes={
                    **result.as_dict(),
                    "event_ids": result.event_ids[:_AUDIT_SAMPLE],
                },
            )
    return result
