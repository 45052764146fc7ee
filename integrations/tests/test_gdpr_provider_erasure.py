"""An erasure deletes the person's Intercom contact through the sandbox's API over HTTP
(outbox, after commit, once), lists what has no deletion API as to do by hand, and a
later sync does not bring the person back."""

from __future__ import annotations

import pytest
import requests

from audit.models import AuditEvent
from customers.models import Contact
from gdpr.services.erase import subject_erase
from gdpr.services.requests import request_receive
from integrations.models import Connection, OutboxKind, OutboxMessage
from integrations.services.syncs import sync_run_execute
from integrations.tests.sync_support import T, make_connection, seed_accounts

pytestmark = pytest.mark.django_db(transaction=True)


def _deleted_at_intercom(sandbox) -> list[str]:
    return requests.get(f"{sandbox.url}/_sandbox/intercom/deleted", timeout=T).json()["deleted"]


def _synced_contact(sandbox) -> tuple[Connection, Contact]:
    seed_accounts(range(1, 6))
    conn = make_connection(sandbox, "intercom", page_size=50)
    run, _ = sync_run_execute(connection_id=conn.pk, stream="contacts", trigger="cli")
    assert run is not None and run.status == "succeeded", run
    contact = Contact.objects.filter(intercom_contact_id__isnull=False).order_by("pk").first()
    assert contact is not None
    return conn, contact


def test_erasure_deletes_the_intercom_contact_after_commit_once(sandbox):
    _conn, contact = _synced_contact(sandbox)
    target, email = contact.intercom_contact_id, contact.email
    contact.zendesk_user_id = "zd-5150"
    contact.save(update_fields=["zendesk_user_id"])
    dsr = request_receive(actor=None, kind="erasure", email=email)

    erasure = subject_erase(actor=None, email=email)

    # Celery is eager in tests: the delivery ran when the erasure committed, over HTTP.
    assert _deleted_at_intercom(sandbox) == [target]
    row = OutboxMessage.objects.get(kind=OutboxKind.CONTACT_DELETE)
    assert (row.status, row.provider_id, row.target_id) == ("succeeded", "deleted", "")
    assert AuditEvent.objects.filter(action="gdpr.provider_deleted", object_id=str(row.pk)).exists()
    by_provider = {p.provider: p for p in erasure.providers}
    assert by_provider["intercom"].status == "deletion_requested"
    assert by_provider["intercom"].outbox_id == row.pk
    # Zendesk users are not deleted from here: reported as work by hand, with the id the
    # operator needs on the request (not in the audit trail).
    assert by_provider["zendesk"].status == "to_do_by_hand"
    dsr.refresh_from_db()
    reported = {p["provider"]: p for p in dsr.result["providers"]}
    assert reported["zendesk"]["provider_ref"] == "zd-5150"
    event = AuditEvent.objects.get(action="gdpr.erase")
    assert "zd-5150" not in str(event.changes) and target not in str(event.changes)

    # Erasing again queues nothing new (the row is keyed by its target).
    subject_erase(actor=None, contact_id=contact.pk)
    assert OutboxMessage.objects.filter(kind=OutboxKind.CONTACT_DELETE).count() == 1
    assert _deleted_at_intercom(sandbox) == [target]


def test_without_an_intercom_connection_the_deletion_is_to_do_by_hand(sandbox):
    conn, contact = _synced_contact(sandbox)
    target = contact.intercom_contact_id
    Connection.objects.filter(pk=conn.pk).update(enabled=False)

    erasure = subject_erase(actor=None, contact_id=contact.pk)

    [copy] = [p for p in erasure.providers if p.provider == "intercom"]
    assert copy.status == "to_do_by_hand" and copy.provider_ref == target
    assert not OutboxMessage.objects.filter(kind=OutboxKind.CONTACT_DELETE).exists()
    assert _deleted_at_intercom(sandbox) == []


def test_a_later_sync_does_not_recreate_the_erased_person(sandbox):
    conn, contact = _synced_contact(sandbox)
    email = contact.email
    # The provider still has the person (the connection was off during the erasure).
    Connection.objects.filter(pk=conn.pk).update(enabled=False)
    subject_erase(actor=None, email=email)
    Connection.objects.filter(pk=conn.pk).update(enabled=True, cursors={})
    contacts_before = Contact.objects.count()

    run, _ = sync_run_execute(
        connection_id=conn.pk, stream="contacts", trigger="cli", full_resync=True
    )

    assert run is not None and run.status == "succeeded"
    assert not Contact.objects.filter(email=email).exists()
    assert Contact.objects.count() == contacts_before
    assert any("erased under GDPR" in s["reason"] for s in run.unmatched_samples)
    assert email not in str(run.unmatched_samples)


def test_the_sandbox_answers_404_for_a_contact_it_does_not_have(sandbox):
    headers = {"Authorization": f"Bearer {sandbox.credentials.intercom_access_token}"}
    response = requests.delete(f"{sandbox.url}/intercom/contacts/nope", headers=headers, timeout=T)
    assert response.status_code == 404
    unauthorised = requests.delete(f"{sandbox.url}/intercom/contacts/nope", timeout=T)
    assert unauthorised.status_code == 401
