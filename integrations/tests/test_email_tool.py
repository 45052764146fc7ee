"""send_personalized_email against the sandbox SendGrid over HTTP.

The message is stored with an outbox row and sent after commit; tests that send commit
for real (``LIVE``), and the delivery runs on commit (inline here, Celery being eager)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from gdpr.models import ConsentRecord
from integrations.models import Connection, EmailMessage, OutboxMessage
from integrations.services.email import EmailNotConfigured
from integrations.services.email_render import Person, email_variables, templates_render
from integrations.tasks import outbox_redrive
from tests.builders import call_tool

pytestmark = pytest.mark.django_db
LIVE = pytest.mark.django_db(transaction=True)

SUBJECT = "{{first_name}}, your {{account_name}} review"
BODY = "Hi {{first_name}},\n\nLet's meet next week.\n\n{{csm_name}}"


def send(user, contact, **extra):
    payload = {"contact_id": contact.pk, "subject": SUBJECT, "body": BODY, **extra}
    return call_tool(user, "send_personalized_email", payload)


@LIVE
def test_sends_rendered_message_to_the_stored_contact_only(
    staff, two_books, sandbox, sendgrid_connection
):
    out = send(staff["csm1"], two_books["ada"])

    delivery = OutboxMessage.objects.get(email_message_id=out["message_id"])
    assert out["status"] == "pending" and out["delivery_id"] == delivery.pk
    assert out["subject"] == "Ada, your Acme Analytics review"
    assert out["body"] == "Hi Ada,\n\nLet's meet next week.\n\nGrace Hopper"
    sent = sandbox.sendgrid_sent()
    assert len(sent) == 1
    assert sent[0]["to"] == ["ada@acme.test"]
    assert sent[0]["subject"] == "Ada, your Acme Analytics review"
    assert sent[0]["from"] == {"email": "success@cs-platform.test", "name": "Acme Success"}
    assert sent[0]["body"]["custom_args"] == {
        "email_message_id": str(out["message_id"]),
        "cs_outbox_key": delivery.idempotency_key,
    }
    assert sent[0]["body"]["reply_to"] == {"email": "grace@cs.test"}
    message = EmailMessage.objects.get(pk=out["message_id"])
    assert message.status == "sent" and message.contact == two_books["ada"]
    assert message.provider_message_id == sent[0]["message_id"]
    assert message.sent_by == staff["csm1"] and message.sent_at is not None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_id) == ("succeeded", sent[0]["message_id"])
    for action in ("email.queued", "email.sent"):
        assert AuditEvent.objects.filter(action=action, object_id=str(message.pk)).exists()
    assert AuditEvent.objects.filter(action="tool.send_personalized_email").count() == 1


@pytest.mark.parametrize("who", ["unknown", "other_csm"])
def test_unknown_or_out_of_scope_contact_is_not_found_and_nothing_sent(
    who, staff, two_books, sandbox, sendgrid_connection
):
    contact_id = 999_999 if who == "unknown" else two_books["bob"].pk
    with pytest.raises(NotFound) as err:
        call_tool(
            staff["csm1"],
            "send_personalized_email",
            {"contact_id": contact_id, "subject": "Hello", "body": "Hi"},
        )
    assert err.value.details["field"] == "contact_id"
    assert sandbox.sendgrid_sent() == []
    assert EmailMessage.objects.count() == 0
    assert sandbox.requests_to("sendgrid") == 0


def test_opted_out_and_erased_contacts_are_refused(staff, two_books, sandbox, sendgrid_connection):
    ada = two_books["ada"]
    ada.email_opt_out = True
    ada.save()
    with pytest.raises(Conflict) as err:
        send(staff["csm1"], ada)
    assert err.value.code == "contact_opted_out"
    ada.email_opt_out, ada.erased_at = False, clock.now()
    ada.save()
    with pytest.raises(Conflict) as err:
        send(staff["csm1"], ada)
    assert err.value.code == "contact_erased"
    assert sandbox.sendgrid_sent() == [] and EmailMessage.objects.count() == 0


@LIVE
def test_marketing_mail_needs_recorded_consent(staff, two_books, sandbox, sendgrid_connection):
    with pytest.raises(Conflict) as err:
        send(staff["csm1"], two_books["ada"], category="marketing")
    assert err.value.code == "consent_missing"
    ConsentRecord.objects.create(
        contact=two_books["ada"],
        purpose="marketing_email",
        granted=True,
        source="form",
        recorded_at=clock.now(),
    )
    assert send(staff["csm1"], two_books["ada"], category="marketing")["status"] == "pending"
    sent = sandbox.sendgrid_sent()
    assert len(sent) == 1 and sent[0]["body"]["categories"] == ["marketing"]


def test_unresolvable_placeholders_fail_naming_the_variable(
    staff, two_books, sandbox, sendgrid_connection
):
    with pytest.raises(InvalidInput) as err:
        send(staff["csm1"], two_books["nameless"])  # no first name on record
    errors = err.value.details["errors"]
    assert {(e["field"], e["variable"], e["type"]) for e in errors} == {
        ("subject", "first_name", "missing_value"),
        ("body", "first_name", "missing_value"),
    }
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "send_personalized_email",
            {"contact_id": two_books["ada"].pk, "subject": "Hi {{nickname}}", "body": "{{oops"},
        )
    kinds = {(e["field"], e["type"]) for e in err.value.details["errors"]}
    assert kinds == {("subject", "unknown_variable"), ("body", "malformed_placeholder")}
    assert "nickname" in err.value.message
    assert sandbox.sendgrid_sent() == [] and EmailMessage.objects.count() == 0


@LIVE
def test_a_refused_send_fails_at_once_and_the_message_is_kept(
    staff, two_books, sandbox, sendgrid_connection
):
    sendgrid_connection.credentials = {**sendgrid_connection.credentials, "api_key": "SG.revoked"}
    sendgrid_connection.save()

    out = send(staff["csm1"], two_books["ada"])

    assert out["status"] == "pending"  # the answer comes before SendGrid is asked
    message = EmailMessage.objects.get(pk=out["message_id"])
    assert message.provider_message_id is None and message.sent_at is None
    assert message.status == "failed" and message.error.startswith("provider_auth_failed: ")
    assert message.subject == "Ada, your Acme Analytics review"
    delivery = OutboxMessage.objects.get(pk=out["delivery_id"])
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert sandbox.sendgrid_sent() == []
    assert sandbox.requests_to("sendgrid") == 1  # a 4xx is never repeated
    assert AuditEvent.objects.filter(action="email.failed", object_id=str(message.pk)).exists()


@LIVE
def test_a_5xx_is_retried_after_checking_sendgrid_did_not_take_the_first(
    staff, two_books, sandbox, sendgrid_connection, travel
):
    sandbox.set_fault("sendgrid", "500", count=1)
    out = send(staff["csm1"], two_books["ada"])

    message = EmailMessage.objects.get(pk=out["message_id"])
    delivery = OutboxMessage.objects.get(pk=out["delivery_id"])
    # A 500 can follow processing, so the POST is not repeated blindly...
    assert sandbox.requests_to("sendgrid") == 1 and sandbox.sendgrid_sent() == []
    assert message.status == "pending"
    assert (delivery.status, delivery.maybe_sent) == ("pending", True)
    assert delivery.error_code == "provider_server_error"

    # ... the next attempt asks the Email Activity API first, finds nothing, and sends.
    travel(delivery.next_attempt_at + timedelta(minutes=2))
    outbox_redrive.delay()
    message.refresh_from_db()
    sent = sandbox.sendgrid_sent()
    assert len(sent) == 1 and message.status == "sent"
    assert message.provider_message_id == sent[0]["message_id"]
    stats = sandbox.stats()["paths"]
    assert stats["GET /sendgrid/v3/messages"] == 1 and stats["POST /sendgrid/v3/mail/send"] == 2


@LIVE
def test_idempotency_key_sends_once(staff, two_books, sandbox, sendgrid_connection):
    first = send(staff["csm1"], two_books["ada"], idempotency_key="qbr-invite-ada-1")
    again = send(staff["csm1"], two_books["ada"], idempotency_key="qbr-invite-ada-1")
    assert again == first
    assert len(sandbox.sendgrid_sent()) == 1 and EmailMessage.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


def test_missing_or_unusable_sendgrid_connection_is_a_clear_error(staff, two_books):
    with pytest.raises(EmailNotConfigured) as err:
        send(staff["csm1"], two_books["ada"])
    assert err.value.code == "email_not_configured" and "no enabled SendGrid" in err.value.message
    Connection.objects.create(
        provider="sendgrid",
        name="no key",
        base_url="http://127.0.0.1:9/sendgrid",
        credentials={},
        settings={"from_email": "cs@platform.test"},
    )
    with pytest.raises(EmailNotConfigured) as err:
        send(staff["csm1"], two_books["ada"])
    assert "credentials.api_key" in err.value.message
    assert EmailMessage.objects.count() == 0


def test_viewer_cannot_send(staff, two_books, sandbox, sendgrid_connection):
    with pytest.raises(PermissionDenied):
        send(staff["viewer"], two_books["ada"])
    assert sandbox.sendgrid_sent() == []


def test_render_uses_every_variable_from_real_fields():
    values = email_variables(
        contact=Person("Ada", "Lovelace", "ada@acme.test"),
        title="CTO",
        account_name="Acme",
        csm=Person("Grace", "Hopper", "grace@cs.test"),
        sender=Person("Alan", "", "alan@cs.test"),
    )
    out = templates_render(
        {
            "body": "{{ full_name }} ({{title}}) at {{account_name}}: {{csm_first_name}} / "
            "{{sender_name}} <{{sender_email}}>"
        },
        values,
    )
    assert out["body"] == "Ada Lovelace (CTO) at Acme: Grace / Alan <alan@cs.test>"
    with pytest.raises(InvalidInput):
        templates_render({"subject": "{{csm_email}}"}, {**values, "csm_email": ""})
