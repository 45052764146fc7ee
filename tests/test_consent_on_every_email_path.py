"""A contact who withdrew consent is never e-mailed, on any path: refused when the
message is asked for, and refused again by the delivery when consent was withdrawn after
the message was queued (the outbox checks at send time). SendGrid (the sandbox, over
HTTP) receives nothing."""

from __future__ import annotations

import pytest

from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.errors import Conflict
from gdpr.models import ConsentRecord
from integrations.models import EmailMessage
from integrations.services.email import email_send
from integrations.tasks import outbox_deliver
from tests.builders import call_tool

pytestmark = pytest.mark.django_db(transaction=True)


def consent(contact, purpose: str, granted: bool) -> None:
    ConsentRecord.objects.create(
        contact=contact, purpose=purpose, granted=granted, source="preference centre",
        recorded_at=clock.now(),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("category", "purpose"),
    [("service", "product_email"), ("marketing", "marketing_email")],
)
def test_withdrawn_consent_refuses_the_send(
    category, purpose, staff, two_books, sandbox, sendgrid_connection
):
    ada = two_books["ada"]
    consent(ada, "marketing_email", True)
    consent(ada, purpose, False)  # the newest answer is in force
    with pytest.raises(Conflict) as err:
        call_tool(
            staff["csm1"],
            "send_personalized_email",
            {"contact_id": ada.pk, "subject": "Hi", "body": "Hello", "category": category},
        )
    assert err.value.code == "consent_missing"
    assert EmailMessage.objects.count() == 0 and sandbox.sendgrid_sent() == []


def test_consent_withdrawn_after_queueing_stops_the_delivery(
    staff, two_books, sandbox, sendgrid_connection
):
    ada = two_books["ada"]
    # Queued without its on-commit delivery (as if the worker were busy)...
    queued = email_send(
        actor=actor_for_user(staff["csm1"], channel="command"), contact_id=ada.pk,
        subject="Hi", body="Hello", now=clock.now(),
    )  # fmt: skip
    consent(ada, "product_email", False)  # ...then the contact withdraws
    outbox_deliver.delay(queued.delivery.pk)  # what the worker runs
    message = EmailMessage.objects.get(pk=queued.message.pk)
    assert message.status == "failed" and sandbox.sendgrid_sent() == []


def test_opted_out_contact_is_never_sent_to(staff, two_books, sandbox, sendgrid_connection):
    ada = two_books["ada"]
    queued = email_send(
        actor=actor_for_user(staff["csm1"], channel="command"), contact_id=ada.pk,
        subject="Hi", body="Hello", now=clock.now(),
    )  # fmt: skip
    type(ada).objects.filter(pk=ada.pk).update(email_opt_out=True)
    outbox_deliver.delay(queued.delivery.pk)  # what the worker runs
    assert EmailMessage.objects.get(pk=queued.message.pk).status == "failed"
    with pytest.raises(Conflict):
        call_tool(staff["csm1"], "send_personalized_email",
                  {"contact_id": ada.pk, "subject": "Hi", "body": "Hello"})  # fmt: skip
    assert sandbox.sendgrid_sent() == []
