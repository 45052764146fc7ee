"""Signed webhooks over real HTTP: the sandbox (or a Zendesk-signed request) posts to the
live server; bad signatures are rejected with nothing stored, replays change nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
import requests

from audit.models import AuditEvent
from cs_platform.core import clock
from integrations.models import EmailEvent, EmailMessage, SupportTicket, WebhookEvent
from integrations.sandbox.signing import sendgrid_signed_headers
from integrations.services.email_events import email_status_after, sendgrid_message_id
from integrations.tests.fixtures import ZENDESK_WEBHOOK_SECRET
from integrations.webhooks.verify import (
    SignatureInvalid,
    intercom_signature_verify,
    zendesk_signature_verify,
)
from tests.builders import call_tool


def LIVE(func):  # noqa: N802 (reads as a marker)
    """Committed rows and a live server (the pure checks at the end need neither)."""
    return pytest.mark.django_db(transaction=True)(func)


T = (3.05, 10)


def hook_url(live_server, connection) -> str:
    return f"{live_server.url}/webhooks/{connection.provider}/{connection.pk}/"


@pytest.fixture
def sent_message(staff, two_books, sandbox, sendgrid_connection) -> EmailMessage:
    out = call_tool(
        staff["csm1"],
        "send_personalized_email",
        {"contact_id": two_books["ada"].pk, "subject": "Hello {{first_name}}", "body": "Hi"},
    )
    assert out["status"] == "pending"
    message = EmailMessage.objects.get(pk=out["message_id"])
    assert message.status == "sent"  # delivered on commit (Celery is eager in tests)
    return message


# --- SendGrid (ECDSA) --------------------------------------------------------------


@LIVE
def test_sendgrid_events_update_the_message_and_replays_change_nothing(
    live_server, sandbox, sendgrid_connection, sent_message
):
    url = hook_url(live_server, sendgrid_connection)
    pid = sent_message.provider_message_id
    delivered = {"message_id": pid, "event": "delivered", "sg_event_id": "sg-delivered-1"}
    bounce = {"message_id": pid, "event": "bounce", "sg_event_id": "sg-bounce-1"}
    emitted = sandbox.sendgrid_emit(url, [delivered, bounce])
    assert emitted["status_code"] == 200, emitted["response"]
    # Applied in event-id order (bounce first); the status rules make order irrelevant.
    assert json.loads(emitted["response"])["outcomes"] == {"applied": 1, "unchanged": 1}
    sent_message.refresh_from_db()
    assert sent_message.status == "bounced" and "does not exist" in sent_message.error
    # Matched on the part of sg_message_id before SendGrid's ".filterdrecv-..." suffix.
    assert emitted["events"][0]["sg_message_id"].startswith(f"{pid}.filterdrecv")
    assert EmailEvent.objects.filter(message=sent_message).count() == 2
    assert WebhookEvent.objects.filter(provider="sendgrid", status="processed").count() == 2
    assert AuditEvent.objects.filter(action="webhook.received").count() == 1

    # The exact delivery again (same bytes, same signature): accepted, nothing applied.
    body = json.dumps(emitted["events"]).encode()
    replay = requests.post(url, data=body, headers=emitted["headers"], timeout=T)
    assert replay.status_code == 200
    assert replay.json() == {
        "received": 2,
        "new": 0,
        "duplicates": 2,
        "retried": 0,
        "failed": 0,
        "outcomes": {},
    }
    # The same event re-sent in a new, freshly signed delivery: still processed once.
    resent = sandbox.sendgrid_emit(url, [bounce])
    assert json.loads(resent["response"])["duplicates"] == 1
    assert WebhookEvent.objects.filter(event_id="sg-bounce-1").count() == 1
    assert EmailEvent.objects.filter(provider_event_id="sg-bounce-1").count() == 1
    assert EmailEvent.objects.count() == 2 and WebhookEvent.objects.count() == 2
    assert AuditEvent.objects.filter(action="webhook.received").count() == 1


@LIVE
def test_sendgrid_bad_signature_is_rejected_and_nothing_stored(
    live_server, sandbox, sendgrid_connection, sent_message
):
    url = hook_url(live_server, sendgrid_connection)
    emitted = sandbox.sendgrid_emit(
        url,
        [{"message_id": sent_message.provider_message_id, "event": "delivered"}],
        corrupt_signature=True,
    )
    assert emitted["status_code"] == 401
    assert json.loads(emitted["response"])["code"] == "signature_invalid"
    assert WebhookEvent.objects.count() == 0 and EmailEvent.objects.count() == 0
    sent_message.refresh_from_db()
    assert sent_message.status == "sent"

    # Correctly signed, but an hour old: a captured request replayed later.
    body = json.dumps([{"sg_event_id": "old-1", "event": "delivered", "email": "a@b.test"}])
    key = sandbox.server.sendgrid.private_key
    stale = sendgrid_signed_headers(key, body.encode(), int(clock.epoch()) - 3600)
    assert requests.post(url, data=body, headers=stale, timeout=T).status_code == 401
    assert WebhookEvent.objects.count() == 0
    fresh = sendgrid_signed_headers(key, body.encode())
    accepted = requests.post(url, data=body, headers=fresh, timeout=T)
    assert accepted.status_code == 200 and accepted.json()["outcomes"] == {"unmatched": 1}
    assert WebhookEvent.objects.filter(event_id="old-1").count() == 1

    # Unknown connection, provider mismatch, wrong method.
    unknown = f"{live_server.url}/webhooks/sendgrid/999999/"
    assert requests.post(unknown, data=body, headers=fresh, timeout=T).status_code == 404
    mismatch = f"{live_server.url}/webhooks/zendesk/{sendgrid_connection.pk}/"
    assert requests.post(mismatch, data=b"{}", timeout=T).status_code == 404
    assert requests.get(url, timeout=T).status_code == 405


# --- Intercom (HMAC-SHA1) ----------------------------------------------------------


def _intercom_ticket(sandbox, two_books, connection, state: str) -> tuple[SupportTicket, dict]:
    conversation = next(
        c for _, c in sorted(sandbox.server.intercom.conversations.items()) if c["state"] == state
    )
    ticket = SupportTicket.objects.create(
        account=two_books["acme"],
        connection=connection,
        external_id=conversation["id"],
        subject="(imported earlier)",
        status="new",
        priority="urgent",
        opened_at=datetime.fromtimestamp(conversation["created_at"], UTC),
    )
    return ticket, conversation


@LIVE
def test_intercom_signed_notification_updates_the_ticket_bad_one_is_rejected(
    live_server, sandbox, two_books, intercom_connection
):
    ticket, conversation = _intercom_ticket(sandbox, two_books, intercom_connection, "closed")
    url = hook_url(live_server, intercom_connection)
    bad = sandbox.intercom_webhook(url, conversation_id=conversation["id"], corrupt_signature=True)
    wrong_key = sandbox.intercom_webhook(
        url, conversation_id=conversation["id"], client_secret="not-the-secret"
    )
    assert bad["status_code"] == 401 and wrong_key["status_code"] == 401
    assert WebhookEvent.objects.count() == 0
    ticket.refresh_from_db()
    assert ticket.status == "new"

    sent = sandbox.intercom_webhook(url, conversation_id=conversation["id"])

    assert sent["status_code"] == 200, sent["response"]
    inbox = WebhookEvent.objects.get(provider="intercom", event_id=sent["notification_id"])
    assert inbox.status == "processed" and inbox.event_type == "conversation.user.replied"
    ticket.refresh_from_db()
    assert ticket.status == "solved" and ticket.resolved_at is not None
    assert ticket.subject != "(imported earlier)"
    assert ticket.source_updated_at == datetime.fromtimestamp(conversation["updated_at"], UTC)


# --- Zendesk (HMAC-SHA256 over timestamp + body) -------------------------------------


def zendesk_post(url, event: dict, *, secret=ZENDESK_WEBHOOK_SECRET, timestamp=None):
    body = json.dumps(event).encode()
    stamp = timestamp or clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
    headers = {
        "Content-Type": "application/json",
        "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
    }
    return requests.post(url, data=body, headers=headers, timeout=T)


def _status_event(external_id: str, event_id: str = "01HZ-status-1") -> dict:
    now = clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "type": "zen:event-type:ticket.status_changed",
        "account_id": 88888888,
        "id": event_id,
        "time": now,
        "zendesk_event_version": "2022-11-06",
        "subject": f"zen:ticket:{external_id}",
        "detail": {"id": external_id, "status": "SOLVED", "priority": "HIGH", "updated_at": now},
        "event": {"previous": "OPEN", "current": "SOLVED"},
    }


@LIVE
def test_zendesk_signed_event_updates_a_mirrored_ticket_once(
    live_server, staff, two_books, sandbox, zendesk_connection
):
    created = call_tool(
        staff["csm1"],
        "handle_support_ticket",
        {
            "action": "create",
            "account_id": two_books["acme"].pk,
            "subject": "Hook",
            "priority": "low",
        },
    )["ticket"]
    assert created["mirror"]["status"] == "pending"
    external_id = SupportTicket.objects.get(pk=created["id"]).external_id  # synced on commit
    assert external_id is not None
    url = hook_url(live_server, zendesk_connection)
    event = _status_event(external_id)

    assert zendesk_post(url, event, secret="wrong-secret").status_code == 401
    stale = zendesk_post(url, event, timestamp="2020-01-01T00:00:00Z")
    assert stale.status_code == 401
    assert WebhookEvent.objects.count() == 0
    assert SupportTicket.objects.get(pk=created["id"]).status == "new"

    first = zendesk_post(url, event)
    assert first.status_code == 200 and first.json()["outcomes"] == {"applied": 1}
    ticket = SupportTicket.objects.get(pk=created["id"])
    assert ticket.status == "solved" and ticket.priority == "high"
    assert (ticket.sla_first_response_minutes, ticket.sla_resolution_minutes) == (240, 1440)
    resolved_at = ticket.resolved_at
    assert resolved_at is not None

    again = zendesk_post(url, event)
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    ticket.refresh_from_db()
    assert ticket.resolved_at == resolved_at
    assert WebhookEvent.objects.filter(provider="zendesk").count() == 1


def test_signature_checks_are_constant_time_and_exact():
    body = b'{"a":1}'
    good = "sha1=" + hmac.new(b"s3cret", body, hashlib.sha1).hexdigest()
    intercom_signature_verify(body=body, header=good, secret="s3cret")
    for header in (None, "", "sha256=" + good[5:], good[:-1] + "0", "sha1=é"):
        with pytest.raises(SignatureInvalid):
            intercom_signature_verify(body=body, header=header, secret="s3cret")
    stamp = "2026-01-01T00:00:00Z"
    digest = hmac.new(b"k", stamp.encode() + body, hashlib.sha256).digest()
    signature = base64.b64encode(digest).decode()
    now = datetime(2026, 1, 1, 0, 5, tzinfo=UTC)
    zendesk_signature_verify(body=body, signature=signature, timestamp=stamp, secret="k", now=now)
    with pytest.raises(SignatureInvalid):
        zendesk_signature_verify(
            body=body + b" ", signature=signature, timestamp=stamp, secret="k", now=now
        )


def test_email_status_only_moves_forward():
    assert email_status_after("sent", "delivered") == "delivered"
    assert email_status_after("opened", "delivered") == "opened"  # late delivered event
    assert email_status_after("opened", "bounced") == "opened"  # it demonstrably arrived
    assert email_status_after("delivered", "bounced") == "bounced"
    assert email_status_after("bounced", "delivered") == "bounced"
    assert email_status_after("bounced", "opened") == "opened"  # same as the other order
    assert sendgrid_message_id({"sg_message_id": "abc123.filterdrecv-1-0"}) == "abc123"
