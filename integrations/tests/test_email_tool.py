"""send_personalized_email against the sandbox SendGrid over HTTP."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RecordedFailure,
)
from gdpr.models import ConsentRecord
from integrations.models import Connection, EmailMessage
from integrations.services.email import EmailNotConfigured
from integrations.services.email_render import Person, email_variables, templates_render
from integrations.tests.fixtures_h2 import *  # noqa: F403 (fixtures)
from integrations.tests.fixtures_h2 import call

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]

SUBJECT = "{{first_name}}, your {{account_name}} review"
BODY = "Hi {{first_name}},\n\nLet's meet next week.\n\n{{csm_name}}"


def send(user, contact, **extra):
    payload = {"contact_id": contact.pk, "subject": SUBJECT, "body": BODY, **extra}
    return call(user, "send_personalized_email", payload)


def test_sends_rendered_message_to_the_stored_contact_only(
    staff, book, sandbox, sendgrid_connection
):
    out = send(staff["csm1"], book["ada"])

    assert out["status"] == "sent"
    assert out["subject"] == "Ada, your Acme Analytics review"
    assert out["body"] == "Hi Ada,\n\nLet's meet next week.\n\nGrace Hopper"
    sent = sandbox.sendgrid_sent()
    assert len(sent) == 1
    assert sent[0]["to"] == ["ada@acme.test"]
    assert sent[0]["subject"] == "Ada, your Acme Analytics review"
    assert sent[0]["from"] == {"email": "success@cs-platform.test", "name": "Acme Success"}
    assert sent[0]["body"]["custom_args"] == {"email_message_id": str(out["message_id"])}
    message = EmailMessage.objects.get(pk=out["message_id"])
    assert message.status == "sent" and message.contact == book["ada"]
    assert message.provider_message_id == sent[0]["message_id"] == out["provider_message_id"]
    assert message.sent_by == staff["csm1"] and message.sent_at is not None
    assert AuditEvent.objects.filter(action="email.sent", object_id=str(message.pk)).exists()
    assert AuditEvent.objects.filter(action="tool.send_personalized_email").count() == 1


@pytest.mark.parametrize("who", ["unknown", "other_csm"])
def test_unknown_or_out_of_scope_contact_is_not_found_and_nothing_sent(
    who, staff, book, sandbox, sendgrid_connection
):
    contact_id = 999_999 if who == "unknown" else book["bob"].pk
    with pytest.raises(NotFound) as err:
        call(
            staff["csm1"],
            "send_personalized_email",
            {"contact_id": contact_id, "subject": "Hello", "body": "Hi"},
        )
    assert err.value.details["field"] == "contact_id"
    assert sandbox.sendgrid_sent() == []
    assert EmailMessage.objects.count() == 0
    assert sandbox.requests_to("sendgrid") == 0


def test_opted_out_and_erased_contacts_are_refused(staff, book, sandbox, sendgrid_connection):
    ada = book["ada"]
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


def test_marketing_mail_needs_recorded_consent(staff, book, sandbox, sendgrid_connection):
    with pytest.raises(Conflict) as err:
        send(staff["csm1"], book["ada"], category="marketing")
    assert err.value.code == "consent_missing"
    ConsentRecord.objects.create(
        contact=book["ada"],
        purpose="marketing_email",
        granted=True,
        source="form",
        recorded_at=clock.now(),
    )
    assert send(staff["csm1"], book["ada"], category="marketing")["status"] == "sent"
    assert len(sandbox.sendgrid_sent()) == 1


def test_unresolvable_placeholders_fail_naming_the_variable(
    staff, book, sandbox, sendgrid_connection
):
    with pytest.raises(InvalidInput) as err:
        send(staff["csm1"], book["nameless"])  # no first name on record
    errors = err.value.details["errors"]
    assert {(e["field"], e["variable"], e["type"]) for e in errors} == {
        ("subject", "first_name", "missing_value"),
        ("body", "first_name", "missing_value"),
    }
    with pytest.raises(InvalidInput) as err:
        call(
            staff["csm1"],
            "send_personalized_email",
            {"contact_id": book["ada"].pk, "subject": "Hi {{nickname}}", "body": "{{oops"},
        )
    kinds = {(e["field"], e["type"]) for e in err.value.details["errors"]}
    assert kinds == {("subject", "unknown_variable"), ("body", "malformed_placeholder")}
    assert "nickname" in err.value.message
    assert sandbox.sendgrid_sent() == [] and EmailMessage.objects.count() == 0


@pytest.mark.parametrize(
    ("fault", "code"),
    [("500", "provider_server_error"), ("401", "provider_auth_failed")],
)
def test_provider_failure_is_reported_and_the_failed_message_is_kept(
    fault, code, staff, book, sandbox, sendgrid_connection
):
    if fault == "401":
        sendgrid_connection.credentials = {
            **sendgrid_connection.credentials,
            "api_key": "SG.revoked",
        }
        sendgrid_connection.save()
    else:
        sandbox.set_fault("sendgrid", "500", count=3)

    with pytest.raises(RecordedFailure) as err:
        send(staff["csm1"], book["ada"])

    # Reported as a failure (an isError result over MCP) ...
    assert err.value.code == code and err.value.details["status"] == "failed"
    # ... while the attempt stays recorded.
    message = EmailMessage.objects.get(pk=err.value.details["message_id"])
    assert message.provider_message_id is None and message.sent_at is None
    assert message.status == "failed" and message.error.startswith(f"{code}: ")
    assert message.subject == "Ada, your Acme Analytics review"
    assert sandbox.sendgrid_sent() == []
    # A POST that may have reached SendGrid is never sent twice.
    assert sandbox.requests_to("sendgrid") == 1
    assert AuditEvent.objects.filter(action="email.failed", object_id=str(message.pk)).exists()


def test_idempotency_key_sends_once(staff, book, sandbox, sendgrid_connection):
    first = send(staff["csm1"], book["ada"], idempotency_key="qbr-invite-ada-1")
    again = send(staff["csm1"], book["ada"], idempotency_key="qbr-invite-ada-1")
    assert again == first
    assert len(sandbox.sendgrid_sent()) == 1 and EmailMessage.objects.count() == 1


def test_missing_or_unusable_sendgrid_connection_is_a_clear_error(staff, book):
    with pytest.raises(EmailNotConfigured) as err:
        send(staff["csm1"], book["ada"])
    assert err.value.code == "email_not_configured" and "no enabled SendGrid" in err.value.message
    Connection.objects.create(
        provider="sendgrid",
        name="no key",
        base_url="http://127.0.0.1:9/sendgrid",
        credentials={},
        settings={"from_email": "cs@platform.test"},
    )
    with pytest.raises(EmailNotConfigured) as err:
        send(staff["csm1"], book["ada"])
    assert "credentials.api_key" in err.value.message
    assert EmailMessage.objects.count() == 0


def test_viewer_cannot_send(staff, book, sandbox, sendgrid_connection):
    with pytest.raises(PermissionDenied):
        send(staff["viewer"], book["ada"])
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
