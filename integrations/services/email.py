"""Sending one personalised e-mail to a stored contact through SendGrid.

``email_send`` renders the message and stores it ``pending`` together with its outbox
row, in the caller's transaction; nothing is sent then. The outbox delivery
(``integrations.services.outbox``) sends it after commit and records the outcome here
(``email_send_result_apply``): ``sent`` with SendGrid's message id, ``failed`` with the
provider's error, or ``unconfirmed`` when SendGrid may have accepted it and we could not
find out (it is then never sent again by itself). Everything that is wrong *before*
anything is sent (unknown contact, opted out, unresolved variable, no usable SendGrid
connection) raises a ``DomainError`` and stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from audit.services import audit_event_record
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, DomainError, InvalidInput, NotFound, field_error
from customers.models import Contact
from customers.selectors import account_list_for_actor
from gdpr.models import ConsentPurpose
from gdpr.selectors import consent_in_force
from integrations.clients import OutgoingEmail, SendGridClient
from integrations.models import (
    Connection,
    EmailMessage,
    EmailStatus,
    OutboxKind,
    OutboxMessage,
    Provider,
)
from integrations.services.email_events import email_status_after
from integrations.services.email_render import Person, email_variables, templates_render
from integrations.services.outbox.messages import outbox_message_create

# The custom arg that carries the outbox key: SendGrid echoes it in events and the Email
# Activity API finds the message by it.
OUTBOX_KEY_ARG = "cs_outbox_key"
EMAIL_CATEGORIES = ("service", "marketing")


class EmailNotConfigured(DomainError):
    code = "email_not_configured"
    http_status = 409


@dataclass(frozen=True)
class EmailQueued:
    message: EmailMessage
    delivery: OutboxMessage


def _contact_for_actor(actor: Actor, contact_id: int) -> Contact:
    contact = (
        Contact.objects.select_related("account", "account__owner")
        .filter(pk=contact_id, account__in=account_list_for_actor(actor))
        .first()
    )
    if contact is None:
        raise NotFound(
            f"contact {contact_id} not found in your book of business",
            details={"field": "contact_id", "contact_id": contact_id},
        )
    return contact


def email_reachable_check(contact: Contact | None, category: str) -> None:
    """Refuse a deleted, erased or opted-out contact, and marketing mail without consent."""
    if contact is None:
        raise Conflict(
            "the contact was deleted; the message is not sent",
            code="contact_deleted",
            details={"field": "contact_id"},
        )
    details = {"field": "contact_id", "contact_id": contact.pk}
    if contact.erased_at is not None:
        raise Conflict(
            f"contact {contact.pk} was erased (GDPR) and cannot be e-mailed",
            code="contact_erased",
            details=details,
        )
    if contact.email_opt_out:
        raise Conflict(
            f"contact {contact.pk} has opted out of e-mail",
            code="contact_opted_out",
            details=details,
        )
    # Consent per purpose: marketing needs it given; any other mail is refused once the
    # contact withdrew their consent to product e-mail.
    purpose = (
        ConsentPurpose.MARKETING_EMAIL if category == "marketing" else ConsentPurpose.PRODUCT_EMAIL
    )
    latest = consent_in_force(contact.pk, purpose)
    if latest is False or (purpose == ConsentPurpose.MARKETING_EMAIL and latest is None):
        why = "withdrew" if latest is False else "never gave"
        raise Conflict(
            f"contact {contact.pk} {why} consent to {purpose.label.lower()}",
            code="consent_missing",
            details=details,
        )


def _sendgrid_connection(connection_id: int | None) -> Connection:
    qs = Connection.objects.filter(provider=Provider.SENDGRID, enabled=True).order_by("id")
    if connection_id is not None:
        connection = qs.filter(pk=connection_id).first()
        if connection is None:
            raise field_error("connection_id", "no enabled SendGrid connection with this id")
        return connection
    connections = list(qs[:2])
    if not connections:
        raise EmailNotConfigured("no enabled SendGrid connection: e-mail cannot be sent")
    if len(connections) > 1:
        raise field_error(
            "connection_id", "several SendGrid connections exist: name one", code="required"
        )
    return connections[0]


def _person(user: object | None) -> Person | None:
    if user is None:
        return None
    return Person(
        first_name=(getattr(user, "first_name", "") or "").strip(),
        last_name=(getattr(user, "last_name", "") or "").strip(),
        email=(getattr(user, "email", "") or "").strip(),
    )


def _record(actor: Actor, message: EmailMessage, action: str, changes: dict) -> None:
    audit_event_record(
        actor=actor.user,
        actor_label=actor.label,
        channel=actor.channel,
        action=action,
        obj=message,
        changes=changes,
    )


def _render(contact: Contact, sender: Person, *, subject: str, body: str) -> dict[str, str]:
    values = email_variables(
        contact=Person(contact.first_name, contact.last_name, contact.email),
        title=contact.title,
        account_name=contact.account.name,
        csm=_person(contact.account.owner),
        sender=sender,
    )
    rendered = templates_render({"subject": subject, "body": body}, values)
    if len(rendered["subject"]) > 300:
        raise field_error("subject", "is longer than 300 characters once personalised")
    return rendered


def email_preview(
    *, actor: Actor, contact_id: int, subject: str, body: str, category: str = "service"
) -> dict[str, str]:
    """What `email_send` would store for this contact, rendered and checked the same way
    (scope, erasure, opt-out, consent, placeholders), without storing or sending it."""
    if category not in EMAIL_CATEGORIES:
        raise field_error("category", f"must be one of {', '.join(EMAIL_CATEGORIES)}")
    contact = _contact_for_actor(actor, contact_id)
    email_reachable_check(contact, category)
    sender = _person(actor.user)
    assert sender is not None  # an actor always has a user
    rendered = _render(contact, sender, subject=subject, body=body)
    return {"to_email": contact.email, **rendered}


def _check_credentials(connection: Connection) -> None:
    try:
        SendGridClient.for_connection(connection).close()
    except InvalidInput as exc:  # stored credentials lack the API key: our setup, not input
        raise EmailNotConfigured(
            f"SendGrid connection {connection.pk} has invalid credentials: {exc.message}"
        ) from exc


def email_send(
    *,
    actor: Actor,
    contact_id: int,
    subject: str,
    body: str,
    category: str = "service",
    connection_id: int | None = None,
    now: datetime,
) -> EmailQueued:
    """Render ``subject``/``body`` for the contact and store the message with its outbox
    row; the caller enqueues the delivery when its transaction commits."""
    if category not in EMAIL_CATEGORIES:
        raise field_error("category", f"must be one of {', '.join(EMAIL_CATEGORIES)}")
    contact = _contact_for_actor(actor, contact_id)
    email_reachable_check(contact, category)
    connection = _sendgrid_connection(connection_id)
    if not str((connection.settings or {}).get("from_email") or "").strip():
        raise EmailNotConfigured(
            f"SendGrid connection {connection.pk} has no settings.from_email (a verified sender)"
        )
    sender = _person(actor.user)
    assert sender is not None  # an actor always has a user
    rendered = _render(contact, sender, subject=subject, body=body)
    _check_credentials(connection)
    with transaction.atomic():  # the message and its outbox row stand or fall together
        message = EmailMessage.objects.create(
            account=contact.account,
            contact=contact,
            connection=connection,
            to_email=contact.email,
            subject=rendered["subject"],
            body=rendered["body"],
            category=category,
            status=EmailStatus.PENDING,
            sent_by=actor.user,
        )
        delivery = outbox_message_create(
            kind=OutboxKind.MAIL_SEND, connection=connection, email_message=message, now=now
        )
        _record(actor, message, "email.queued", {"delivery_id": delivery.pk})
    return EmailQueued(message=message, delivery=delivery)


def email_outgoing(message: EmailMessage, connection: Connection, key: str) -> OutgoingEmail:
    """What SendGrid is sent for ``message``, built when the call is made."""
    settings = connection.settings or {}
    sender = _person(message.sent_by)
    contact = message.contact
    return OutgoingEmail(
        to_email=message.to_email,
        to_name=f"{contact.first_name} {contact.last_name}".strip() if contact else "",
        subject=message.subject,
        text=message.body,
        from_email=str(settings.get("from_email") or "").strip(),
        from_name=str(settings.get("from_name") or (sender.full_name if sender else "")),
        reply_to=sender.email if sender else "",
        categories=(message.category,),
        custom_args={"email_message_id": str(message.pk), OUTBOX_KEY_ARG: key},
    )


def email_send_result_apply(
    message: EmailMessage,
    *,
    sent: bool = False,
    provider_message_id: str | None = None,
    error: DomainError | None = None,
    unconfirmed: bool = False,
    now: datetime,
) -> None:
    """Write a delivery's final outcome on the (locked) message, with its audit event:
    ``sent`` (with SendGrid's id), ``unconfirmed``, or failed with ``error``."""
    if sent:
        # A webhook event may have arrived first and moved it further (delivered...).
        message.status = email_status_after(message.status, EmailStatus.SENT)
        message.provider_message_id = provider_message_id or message.provider_message_id
        message.sent_at, message.error = now, ""
        action, changes = "email.sent", {"provider_message_id": message.provider_message_id}
    elif unconfirmed:
        message.status = EmailStatus.UNCONFIRMED
        message.error = "sendgrid may have accepted this message; it was not sent again"
        action, changes = "email.unconfirmed", {}
    else:
        assert error is not None
        message.status, message.error = EmailStatus.FAILED, f"{error.code}: {error.message}"
        action, changes = "email.failed", {"error": error.as_dict()}
    message.save(update_fields=["status", "provider_message_id", "sent_at", "error", "updated_at"])
    audit_event_record(
        actor=None,
        actor_label="task:outbox",
        channel="task",
        action=action,
        obj=message,
        account_id=message.account_id,
        changes=changes,
    )
