"""Sending one personalised e-mail to a stored contact through SendGrid.

The message is stored before the provider is called (``queued``) and ends ``sent``
with SendGrid's message id, or ``failed`` with the provider's error. A provider
failure is returned as ``EmailSendOutcome.error``, not raised: the caller is usually
inside ``invoke_tool``'s transaction, which an exception would roll back, and the
failed attempt must stay on record (see ``send_personalized_email``). Everything that
is wrong *before* anything is sent (unknown contact, opted out, unresolved variable,
no usable SendGrid connection) raises a ``DomainError`` and stores nothing.
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
from integrations.clients import OutgoingEmail, SendGridClient
from integrations.errors import ProviderError
from integrations.models import Connection, EmailMessage, EmailStatus, Provider
from integrations.services.email_render import Person, email_variables, templates_render

EMAIL_CATEGORIES = ("service", "marketing")


class EmailNotConfigured(DomainError):
    code = "email_not_configured"
    http_status = 409


@dataclass(frozen=True)
class EmailSendOutcome:
    message: EmailMessage
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


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


def _check_reachable(contact: Contact, category: str) -> None:
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
    if category == "marketing":
        from gdpr.models import ConsentPurpose, ConsentRecord

        latest = (
            ConsentRecord.objects.filter(contact=contact, purpose=ConsentPurpose.MARKETING_EMAIL)
            .order_by("-recorded_at", "-id")
            .values_list("granted", flat=True)
            .first()
        )
        if latest is not True:
            why = "withdrew" if latest is False else "never gave"
            raise Conflict(
                f"contact {contact.pk} {why} consent to marketing e-mail",
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


def _client(connection: Connection) -> SendGridClient:
    try:
        return SendGridClient.for_connection(connection)
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
) -> EmailSendOutcome:
    """Render ``subject``/``body`` for the contact, store the message and send it."""
    if category not in EMAIL_CATEGORIES:
        raise field_error("category", f"must be one of {', '.join(EMAIL_CATEGORIES)}")
    contact = _contact_for_actor(actor, contact_id)
    _check_reachable(contact, category)
    connection = _sendgrid_connection(connection_id)
    from_email = str((connection.settings or {}).get("from_email") or "").strip()
    if not from_email:
        raise EmailNotConfigured(
            f"SendGrid connection {connection.pk} has no settings.from_email (a verified sender)"
        )
    sender = _person(actor.user)
    assert sender is not None  # an actor always has a user
    rendered = _render(contact, sender, subject=subject, body=body)
    client = _client(connection)
    with transaction.atomic():
        message = EmailMessage.objects.create(
            account=contact.account,
            contact=contact,
            connection=connection,
            to_email=contact.email,
            subject=rendered["subject"],
            body=rendered["body"],
            status=EmailStatus.QUEUED,
            sent_by=actor.user,
        )
    outgoing = OutgoingEmail(
        to_email=contact.email,
        to_name=f"{contact.first_name} {contact.last_name}".strip(),
        subject=message.subject,
        text=message.body,
        from_email=from_email,
        from_name=str((connection.settings or {}).get("from_name") or sender.full_name),
        reply_to=sender.email,
        categories=(category,),
        custom_args={"email_message_id": str(message.pk)},
    )
    error: DomainError | None = None
    try:
        with client:
            provider_id = client.mail_send(outgoing)
    except ProviderError as exc:
        error = exc
    with transaction.atomic():
        if error is None:
            message.status, message.provider_message_id, message.sent_at = (
                EmailStatus.SENT,
                provider_id,
                now,
            )
            message.save(update_fields=["status", "provider_message_id", "sent_at", "updated_at"])
            _record(actor, message, "email.sent", {"provider_message_id": provider_id})
        else:
            message.status, message.error = EmailStatus.FAILED, f"{error.code}: {error.message}"
            message.save(update_fields=["status", "error", "updated_at"])
            _record(actor, message, "email.failed", {"error": error.as_dict()})
    return EmailSendOutcome(message=message, error=error)
