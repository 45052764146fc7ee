"""The outbox: provider calls happen after commit, outside any transaction, once.

Committed rows throughout (the delivery runs on commit, inline since Celery is eager in
tests) and the sandbox providers over real HTTP. A "hold" fault makes the sandbox act on
a request and then sit on its answer, so the client gives up after the provider did the
work: the case where a naive retry would create a second ticket or send a second e-mail.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.db import connection, transaction

from cs_platform.core import clock
from integrations.models import EmailMessage, OutboxMessage, SupportTicket
from integrations.services.email_events import email_event_record
from integrations.services.syncs import sync_run_execute
from integrations.tasks import outbox_deliver, outbox_redrive
from tests.builders import call_tool

pytestmark = pytest.mark.django_db(transaction=True)

T = (3.05, 10)
PROVIDER_PATHS = ("/zendesk/api/", "/sendgrid/v3/")


def create_ticket(user, account, subject="Exports fail"):
    payload = {"action": "create", "account_id": account.pk, "subject": subject}
    return call_tool(user, "handle_support_ticket", payload)


def send_email(user, contact):
    payload = {"contact_id": contact.pk, "subject": "Hello {{first_name}}", "body": "Hi"}
    return call_tool(user, "send_personalized_email", payload)


def zendesk_ticket_ids(sandbox) -> set[int]:
    listing = requests.get(f"{sandbox.url}/_sandbox/zendesk/tickets", timeout=T).json()
    return {t["id"] for t in listing["tickets"]}


def later(delivery: OutboxMessage, travel) -> None:
    """Move the clock past the row's next attempt and run the beat's re-drive."""
    delivery.refresh_from_db()
    travel(max(delivery.next_attempt_at, clock.now()) + timedelta(minutes=2))
    outbox_redrive.delay()


def test_no_provider_call_is_made_while_a_transaction_is_open(
    staff, two_books, sandbox, zendesk_connection, sendgrid_connection, monkeypatch
):
    seen: list[tuple[str, bool]] = []
    original = requests.Session.request

    def spying(session, method, url, *args, **kwargs):
        if any(path in url for path in PROVIDER_PATHS):
            seen.append((f"{method} {url.split('?')[0]}", connection.in_atomic_block))
        return original(session, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spying)
    ticket = create_ticket(staff["csm1"], two_books["acme"])["ticket"]
    call_tool(
        staff["csm1"],
        "handle_support_ticket",
        {"action": "update", "ticket_id": ticket["id"], "comment": "On it", "status": "open"},
    )
    send_email(staff["csm1"], two_books["ada"])

    assert [s for s, _ in seen] == [
        f"POST {sandbox.url}/zendesk/api/v2/tickets.json",
        f"PUT {sandbox.url}/zendesk/api/v2/tickets/{SupportTicket.objects.get().external_id}.json",
        f"POST {sandbox.url}/sendgrid/v3/mail/send",
    ]
    assert not any(inside for _, inside in seen)


def test_nothing_reaches_a_provider_before_the_write_commits(
    staff, two_books, sandbox, zendesk_connection, sendgrid_connection
):
    with transaction.atomic():
        create_ticket(staff["csm1"], two_books["acme"])
        send_email(staff["csm1"], two_books["ada"])
        assert sandbox.requests_to("zendesk") == sandbox.requests_to("sendgrid") == 0
    assert sandbox.requests_to("zendesk") == sandbox.requests_to("sendgrid") == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        create_ticket(staff["csm1"], two_books["acme"], subject="Rolled back")
        raise RuntimeError("the caller's transaction fails")
    assert sandbox.requests_to("zendesk") == 1  # a rolled-back write queues nothing
    assert not SupportTicket.objects.filter(subject="Rolled back").exists()
    assert OutboxMessage.objects.count() == 2


def test_a_lost_zendesk_answer_is_retried_with_the_key_and_makes_one_ticket(
    staff, two_books, sandbox, zendesk_connection
):
    zendesk_connection.settings = {**zendesk_connection.settings, "read_timeout": 0.5}
    zendesk_connection.save()
    before = zendesk_ticket_ids(sandbox)
    # Zendesk creates the ticket, then its answer is late: the client times out.
    sandbox.set_fault("zendesk", "hold", delay=1.5, count=1)

    out = create_ticket(staff["csm1"], two_books["acme"])

    created = zendesk_ticket_ids(sandbox) - before
    assert len(created) == 1
    ticket = SupportTicket.objects.get(pk=out["ticket"]["id"])
    assert ticket.mirror_status == "synced" and ticket.external_id == str(created.pop())
    assert sandbox.stats()["paths"]["POST /zendesk/api/v2/tickets.json"] == 2
    delivery = OutboxMessage.objects.get()
    assert (delivery.status, delivery.attempts) == ("succeeded", 1)


def test_a_lost_sendgrid_answer_is_found_in_the_activity_feed_not_sent_again(
    staff, two_books, sandbox, sendgrid_connection, travel
):
    sendgrid_connection.settings = {**sendgrid_connection.settings, "read_timeout": 0.5}
    sendgrid_connection.save()
    sandbox.set_fault("sendgrid", "hold", delay=1.5, count=1)

    out = send_email(staff["csm1"], two_books["ada"])

    message = EmailMessage.objects.get(pk=out["message_id"])
    delivery = OutboxMessage.objects.get()
    assert message.status == "pending" and delivery.maybe_sent is True
    assert len(sandbox.sendgrid_sent()) == 1  # SendGrid has it; we do not know yet

    later(delivery, travel)
    message.refresh_from_db()
    (sent,) = sandbox.sendgrid_sent()
    assert message.status == "sent" and message.provider_message_id == sent["message_id"]
    assert sandbox.stats()["paths"]["POST /sendgrid/v3/mail/send"] == 1


def test_without_activity_access_an_unconfirmed_send_is_never_repeated(
    staff, two_books, sandbox, sendgrid_connection, travel
):
    sendgrid_connection.settings = {**sendgrid_connection.settings, "read_timeout": 0.5}
    sendgrid_connection.save()
    sandbox.sendgrid_activity(enabled=False)  # no paid Email Activity add-on
    sandbox.set_fault("sendgrid", "hold", delay=1.5, count=1)

    out = send_email(staff["csm1"], two_books["ada"])
    later(OutboxMessage.objects.get(), travel)

    message = EmailMessage.objects.get(pk=out["message_id"])
    delivery = OutboxMessage.objects.get()
    assert message.status == "unconfirmed" and message.provider_message_id is None
    assert (delivery.status, delivery.error_code) == ("failed", "delivery_unconfirmed")
    assert len(sandbox.sendgrid_sent()) == 1
    later(delivery, travel)
    assert sandbox.stats()["paths"]["POST /sendgrid/v3/mail/send"] == 1

    # SendGrid's event webhook names the message by our custom arg: that settles it.
    (sent,) = sandbox.sendgrid_sent()
    event = {
        "event": "processed",
        "email": "ada@acme.test",
        "sg_message_id": f"{sent['message_id']}.filterdrecv-1-0",
        "email_message_id": str(message.pk),
        "timestamp": int(clock.epoch()),
    }
    with transaction.atomic():
        assert email_event_record(event_id="evt-1", event=event, now=clock.now()) == "applied"
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_message_id == sent["message_id"]


def test_a_row_left_sending_by_a_dead_worker_is_redriven_once_its_claim_is_stale(
    staff, two_books, sandbox, zendesk_connection, travel
):
    sandbox.set_fault("zendesk", "500")
    out = create_ticket(staff["csm1"], two_books["acme"])
    sandbox.reset_faults()
    before = zendesk_ticket_ids(sandbox)
    # As a worker leaves it when killed right after claiming (and maybe calling).
    OutboxMessage.objects.update(status="sending", claimed_at=clock.now())

    outbox_deliver.delay(out["mirror"]["delivery_id"])  # in flight elsewhere: left alone
    outbox_redrive.delay()  # not stale yet: left alone
    assert OutboxMessage.objects.get().status == "sending" and zendesk_ticket_ids(sandbox) == before

    travel(clock.now() + timedelta(minutes=10))
    outbox_redrive.delay()
    delivery = OutboxMessage.objects.get()
    assert (delivery.status, delivery.maybe_sent, delivery.attempts) == ("succeeded", True, 2)
    assert len(zendesk_ticket_ids(sandbox) - before) == 1
    assert SupportTicket.objects.get().mirror_status == "synced"


def test_an_update_never_overtakes_the_create_it_follows(
    staff, two_books, sandbox, zendesk_connection, travel
):
    sandbox.set_fault("zendesk", "500")
    ticket_id = create_ticket(staff["csm1"], two_books["acme"])["ticket"]["id"]
    update = call_tool(
        staff["csm1"],
        "handle_support_ticket",
        {"action": "update", "ticket_id": ticket_id, "comment": "Any news?", "priority": "high"},
    )
    assert update["mirror"]["status"] == "pending"
    requests_while_down = sandbox.requests_to("zendesk")
    assert requests_while_down == 2  # the create's two tries; the update waited
    sandbox.reset_faults()

    later(OutboxMessage.objects.first(), travel)

    assert [d.status for d in OutboxMessage.objects.order_by("id")] == ["succeeded", "succeeded"]
    ticket = SupportTicket.objects.get()
    assert ticket.mirror_status == "synced"
    c = sandbox.credentials
    remote = requests.get(
        f"{sandbox.base_url('zendesk')}/api/v2/tickets/{ticket.external_id}/comments.json",
        auth=(f"{c.zendesk_email}/token", c.zendesk_api_token),
        timeout=T,
    ).json()["comments"]
    assert [x["body"] for x in remote].count("Any news?") == 1


def test_a_delivery_that_keeps_failing_ends_failed_after_its_attempts(
    staff, two_books, sandbox, zendesk_connection, travel, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    sandbox.set_fault("zendesk", "503")
    out = create_ticket(staff["csm1"], two_books["acme"])
    delivery = OutboxMessage.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)

    later(delivery, travel)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error_code) == (
        "failed",
        2,
        "provider_server_error",
    )
    got = call_tool(
        staff["csm1"], "handle_support_ticket", {"action": "get", "ticket_id": out["ticket"]["id"]}
    )
    assert got["ticket"]["mirror"]["status"] == "failed"
    assert got["ticket"]["mirror"]["error"].startswith("provider_server_error")


def _lose_the_first_create_answer(sandbox, zendesk_connection) -> None:
    """Zendesk creates the ticket but its answer never arrives, and only one try is made
    per attempt: the row is left pending with ``maybe_sent``."""
    zendesk_connection.settings = {
        **zendesk_connection.settings,
        "read_timeout": 0.5,
        "retry_max_attempts": 1,
    }
    zendesk_connection.save()
    sandbox.set_fault("zendesk", "hold", delay=1.5, count=1)


def test_a_create_refused_for_a_changed_body_finds_the_ticket_its_key_made(
    staff, two_books, sandbox, zendesk_connection, travel
):
    _lose_the_first_create_answer(sandbox, zendesk_connection)
    before = zendesk_ticket_ids(sandbox)
    ticket_id = create_ticket(staff["csm1"], two_books["acme"], subject="First words")["ticket"][
        "id"
    ]
    assert OutboxMessage.objects.get().maybe_sent is True
    call_tool(
        staff["csm1"],
        "handle_support_ticket",
        {"action": "update", "ticket_id": ticket_id, "subject": "Better words"},
    )

    # The repeated create now has another body: Zendesk refuses the key (400
    # IdempotentRequestError), and the ticket the key made is found by our external id.
    later(OutboxMessage.objects.first(), travel)

    created = zendesk_ticket_ids(sandbox) - before
    assert len(created) == 1
    ticket = SupportTicket.objects.get()
    assert ticket.mirror_status == "synced" and ticket.external_id == str(created.pop())
    stats = sandbox.stats()["paths"]
    assert stats["GET /zendesk/api/v2/tickets.json"] == 1
    remote = requests.get(f"{sandbox.url}/_sandbox/zendesk/tickets", timeout=T).json()
    subjects = {t["id"]: t["subject"] for t in remote["tickets"]}
    assert subjects[int(ticket.external_id)] == "Better words"  # the update followed


def test_past_zendesk_key_window_a_create_in_doubt_is_looked_up_first(
    staff, two_books, sandbox, zendesk_connection, travel
):
    _lose_the_first_create_answer(sandbox, zendesk_connection)
    before = zendesk_ticket_ids(sandbox)
    create_ticket(staff["csm1"], two_books["acme"])

    # Three hours later Zendesk no longer knows the key: only the lookup prevents a copy.
    travel(clock.now() + timedelta(hours=3))
    outbox_redrive.delay()

    assert len(zendesk_ticket_ids(sandbox) - before) == 1
    assert SupportTicket.objects.get().mirror_status == "synced"
    assert sandbox.stats()["paths"]["POST /zendesk/api/v2/tickets.json"] == 1


def test_a_sync_that_sees_our_mirrored_ticket_first_links_it_instead_of_importing_it(
    staff, two_books, sandbox, zendesk_connection, travel
):
    """Zendesk created the ticket but its answer was lost; the next ticket export brings
    Zendesk's copy (external_id cs-platform-ticket-<pk>) before the mirror's retry."""
    zendesk_connection.settings = {**zendesk_connection.settings, "read_timeout": 0.3}
    zendesk_connection.save()
    sandbox.set_fault("zendesk", "hold", delay=1.0, count=50)
    out = create_ticket(staff["csm1"], two_books["acme"])
    sandbox.reset_faults()
    ticket = SupportTicket.objects.get(pk=out["ticket"]["id"])
    assert ticket.external_id is None and ticket.mirror_status == "pending"
    remote = zendesk_ticket_ids(sandbox)
    assert len(remote) >= 1

    run, _ = sync_run_execute(connection_id=zendesk_connection.pk, stream="tickets", trigger="cli")

    assert run.status == "succeeded", run.error_message
    ours = SupportTicket.objects.filter(account=two_books["acme"], subject="Exports fail")
    assert ours.count() == 1  # linked, not imported a second time
    ticket.refresh_from_db()
    assert ticket.external_id is not None and int(ticket.external_id) in remote
    # The mirror's own retry then finishes on the same Zendesk ticket, making no other.
    later(OutboxMessage.objects.get(), travel)
    ticket.refresh_from_db()
    assert ticket.mirror_status == "synced" and ours.count() == 1
    assert zendesk_ticket_ids(sandbox) == remote
