"""Newsletters: subscriptions, editions and their sends through SendGrid.

Sending an edition writes one `NewsletterDelivery` per active subscriber: `queued` with
its marketing e-mail (stored with its outbox row by `email_send`; SendGrid is called
after commit), or `skipped` with why (erased, opted out, no marketing consent). The
unique (edition, contact) constraint means a second send reaches only subscribers who
had no delivery yet. An unsubscribe — through the tool or SendGrid's `unsubscribe` /
`group_unsubscribe` event on an edition's e-mail — stops all later editions of that
newsletter for the contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from audit.services import audit_record
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, DomainError, InvalidInput, NotFound
from customers.models import Contact
from customers.selectors import account_list_for_actor
from integrations.models import (
    EditionStatus,
    EmailMessage,
    FiringStatus,
    NewsletterDelivery,
    NewsletterEdition,
    NewsletterSubscription,
)
from integrations.services.email import EmailNotConfigured, email_reachable_check, email_send
from integrations.services.email_events import UNSUBSCRIBE_EVENTS


def contact_get_for_actor(actor: Actor, contact_id: int) -> Contact:
    contact = (
        Contact.objects.select_related("account")
        .filter(pk=contact_id, account__in=account_list_for_actor(actor), erased_at__isnull=True)
        .first()
    )
    if contact is None:
        raise NotFound(
            f"contact {contact_id} not found in your book of business",
            details={"field": "contact_id"},
        )
    return contact


def newsletter_subscribe(
    *, actor: Actor, contact: Contact, newsletter: str, now: datetime
) -> NewsletterSubscription:
    """Subscribe (or re-subscribe after an unsubscribe: a person asked for it)."""
    sub, created = NewsletterSubscription.objects.get_or_create(
        contact=contact, newsletter=newsletter, defaults={"subscribed_at": now}
    )
    if not created and sub.unsubscribed_at is not None:
        sub.subscribed_at, sub.unsubscribed_at, sub.unsubscribe_source = now, None, ""
        sub.save(update_fields=["subscribed_at", "unsubscribed_at", "unsubscribe_source"])
        created = True
    if created:
        audit_record(
            actor, "newsletter.subscribed", sub, account_id=contact.account_id,
            changes={"newsletter": newsletter},
        )  # fmt: skip
    return sub


def newsletter_unsubscribe(
    *, actor: Actor | None, contact: Contact, newsletter: str, source: str, now: datetime
) -> NewsletterSubscription | None:
    sub = NewsletterSubscription.objects.filter(contact=contact, newsletter=newsletter).first()
    if sub is None or sub.unsubscribed_at is not None:
        return sub
    sub.unsubscribed_at, sub.unsubscribe_source = now, source[:40]
    sub.save(update_fields=["unsubscribed_at", "unsubscribe_source"])
    audit_record(
        actor, "newsletter.unsubscribed", sub, account_id=contact.account_id,
        changes={"newsletter": newsletter, "source": source}, system="sendgrid",
    )  # fmt: skip
    return sub


def newsletter_unsubscribe_from_event(message: EmailMessage, event: str, now: datetime) -> None:
    """SendGrid reported an unsubscribe on an edition's e-mail: honour it."""
    if event not in UNSUBSCRIBE_EVENTS:
        return
    for delivery in NewsletterDelivery.objects.filter(email_message=message).select_related(
        "edition", "contact"
    ):
        newsletter_unsubscribe(
            actor=None,
            contact=delivery.contact,
            newsletter=delivery.edition.newsletter,
            source=f"sendgrid:{event}",
            now=now,
        )


def newsletter_edition_create(
    *, actor: Actor, newsletter: str, subject: str, body: str
) -> NewsletterEdition:
    edition = NewsletterEdition.objects.create(
        newsletter=newsletter, subject=subject, body=body, created_by=actor.user
    )
    audit_record(actor, "newsletter.edition_created", edition, changes={"newsletter": newsletter})
    return edition


@dataclass
class EditionSend:
    queued: int = 0
    already_delivered: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    outbox_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "queued": self.queued,
            "already_delivered": self.already_delivered,
            "skipped": self.skipped,
        }


def newsletter_edition_send(
    *, actor: Actor, edition: NewsletterEdition, now: datetime
) -> EditionSend:
    """Queue the edition to every active subscriber without a delivery of it yet. The
    caller enqueues `outbox_ids` once its transaction commits."""
    result = EditionSend()
    subs = (
        NewsletterSubscription.objects.filter(
            newsletter=edition.newsletter, unsubscribed_at__isnull=True
        )
        .select_related("contact", "contact__account")
        .order_by("contact_id")
    )
    done = set(edition.deliveries.values_list("contact_id", flat=True))
    for sub in subs:
        contact = sub.contact
        if contact.pk in done:
            result.already_delivered += 1
            continue
        delivery = NewsletterDelivery(edition=edition, contact=contact, status=FiringStatus.SKIPPED)
        try:
            with transaction.atomic():
                delivery.save()
        except IntegrityError:  # a concurrent send got there first
            result.already_delivered += 1
            continue
        try:
            if contact.erased_at is not None:
                raise Conflict("erased", code="contact_erased")
            email_reachable_check(contact, "marketing")
            with transaction.atomic():
                queued = email_send(
                    actor=actor,
                    contact_id=contact.pk,
                    subject=edition.subject,
                    body=edition.body,
                    category="marketing",
                    now=now,
                )
            delivery.status, delivery.email_message = FiringStatus.QUEUED, queued.message
            result.queued += 1
            result.outbox_ids.append(queued.delivery.pk)
        except EmailNotConfigured:
            raise
        except InvalidInput:
            delivery.skip_reason = "template_unresolved"
        except DomainError as exc:
            delivery.skip_reason = exc.code[:40]
        if delivery.status == FiringStatus.SKIPPED:
            result.skipped[delivery.skip_reason] = result.skipped.get(delivery.skip_reason, 0) + 1
        delivery.save(update_fields=["status", "skip_reason", "email_message"])
    if edition.status != EditionStatus.SENT:
        edition.status, edition.sent_at = EditionStatus.SENT, now
        edition.save(update_fields=["status", "sent_at"])
    audit_record(
        actor, "newsletter.edition_sent", edition, changes=result.as_dict(), system="newsletters"
    )
    return result
