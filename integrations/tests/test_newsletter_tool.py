"""automate_newsletters against the sandbox SendGrid over HTTP: editions reach consenting
subscribers once, unsubscribes (tool or SendGrid event) are honoured."""

from __future__ import annotations

import pytest
from django.db import transaction

from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput, NotFound, PermissionDenied
from gdpr.models import ConsentRecord
from integrations.models import EmailMessage, NewsletterSubscription
from integrations.services.email_events import email_event_record
from tests.builders import call_tool

pytestmark = pytest.mark.django_db(transaction=True)
NEWS = "product-updates"


def consent(contact) -> None:
    ConsentRecord.objects.create(
        contact=contact,
        purpose="marketing_email",
        granted=True,
        source="form",
        recorded_at=clock.now(),
    )


def test_edition_reaches_consenting_subscribers_once_and_unsubscribes_stop_it(
    staff, two_books, sandbox, sendgrid_connection
):
    ada, nameless, bob = two_books["ada"], two_books["nameless"], two_books["bob"]
    consent(ada)
    consent(bob)
    for user, contact in ((staff["csm1"], ada), (staff["csm1"], nameless), (staff["csm2"], bob)):
        call_tool(
            user,
            "automate_newsletters",
            {"action": "subscribe", "newsletter": NEWS, "contact_id": contact.pk},
        )
    with pytest.raises(NotFound):
        call_tool(
            staff["csm1"],
            "automate_newsletters",
            {"action": "subscribe", "newsletter": NEWS, "contact_id": bob.pk},
        )

    edition = call_tool(
        staff["manager"],
        "automate_newsletters",
        {
            "action": "create_edition",
            "newsletter": NEWS,
            "subject": "{{first_name}}: news",
            "body": "Hi {{first_name}}, here is what shipped.",
        },
    )["edition"]
    assert edition["status"] == "draft"
    out = call_tool(
        staff["manager"], "automate_newsletters", {"action": "send", "edition_id": edition["id"]}
    )
    assert out["send"] == {"queued": 2, "already_delivered": 0, "skipped": {"consent_missing": 1}}
    assert (out["edition"]["status"], out["edition"]["queued"]) == ("sent", 2)
    sent = sorted(s["to"][0] for s in sandbox.sendgrid_sent())
    assert sent == ["ada@acme.test", "bob@globex.test"]
    assert {s["subject"] for s in sandbox.sendgrid_sent()} == {"Ada: news", "Bob: news"}

    again = call_tool(
        staff["manager"], "automate_newsletters", {"action": "send", "edition_id": edition["id"]}
    )
    assert again["send"] == {"queued": 0, "already_delivered": 3, "skipped": {}}
    assert len(sandbox.sendgrid_sent()) == 2

    # Ada unsubscribes through SendGrid's link; Bob asks his CSM.
    ada_mail = EmailMessage.objects.get(contact=ada)
    with transaction.atomic():  # as the webhook inbox calls it
        email_event_record(
            event_id="evt-unsub-1",
            event={
                "event": "unsubscribe",
                "email": "ada@acme.test",
                "sg_message_id": f"{ada_mail.provider_message_id}.filter0001",
                "email_message_id": str(ada_mail.pk),
            },
            now=clock.now(),
        )
    sub = NewsletterSubscription.objects.get(contact=ada)
    assert sub.unsubscribed_at is not None and sub.unsubscribe_source == "sendgrid:unsubscribe"
    call_tool(
        staff["csm2"],
        "automate_newsletters",
        {"action": "unsubscribe", "newsletter": NEWS, "contact_id": bob.pk},
    )

    second = call_tool(
        staff["manager"],
        "automate_newsletters",
        {"action": "create_edition", "newsletter": NEWS, "subject": "April", "body": "More."},
    )["edition"]
    out = call_tool(
        staff["manager"], "automate_newsletters", {"action": "send", "edition_id": second["id"]}
    )
    assert out["send"] == {"queued": 0, "already_delivered": 0, "skipped": {"consent_missing": 1}}
    assert len(sandbox.sendgrid_sent()) == 2
    listed = call_tool(staff["csm1"], "automate_newsletters", {"action": "list"})
    assert listed["newsletters"] == [{"newsletter": NEWS, "subscribed": 1, "unsubscribed": 1}]
    assert [e["queued"] for e in listed["editions"]] == [0, 2]


def test_bad_input_and_roles(staff, two_books):
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "automate_newsletters",
            {"action": "subscribe", "newsletter": "Bad Slug", "contact_id": 1},
        )
    assert err.value.details["errors"][0]["field"] == "newsletter"
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"], "automate_newsletters", {"action": "subscribe", "newsletter": NEWS}
        )
    assert err.value.details["errors"][0]["field"] == "contact_id"
    with pytest.raises(PermissionDenied):
        call_tool(
            staff["csm1"],
            "automate_newsletters",
            {"action": "create_edition", "newsletter": NEWS, "subject": "x", "body": "y"},
        )
    assert not NewsletterSubscription.objects.exists()
