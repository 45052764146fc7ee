"""Zendesk and Intercom syncs against the sandbox over HTTP, and the run lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from celery.exceptions import SoftTimeLimitExceeded
from django.db import IntegrityError, transaction

from cs_platform.core import clock
from customers.demo_identity import demo_company
from customers.models import Account, Contact
from integrations.models import Connection, SupportTicket, SyncRun
from integrations.services.syncs import sync_run_claim, sync_run_execute
from integrations.tests.sync_support import (
    T,
    make_connection,
    matched_org_ids,
    sandbox_tickets,
    seed_accounts,
)

pytestmark = pytest.mark.django_db
ACCOUNTS = range(1, 21)  # the sandbox fixture serves 20 demo accounts (+ orphans)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stored_tickets(conn: Connection) -> dict[str, tuple]:
    rows = SupportTicket.objects.filter(connection=conn).values_list(
        "external_id", "account__zendesk_org_id", "source_updated_at", "status", "priority",
        "subject",
    )  # fmt: skip
    return {ext: (int(org), _iso(upd), st, pr, sub) for ext, org, upd, st, pr, sub in rows}


def _expected_tickets(sandbox) -> dict[str, tuple]:
    matched = matched_org_ids(ACCOUNTS)
    return {
        str(t["id"]): (t["organization_id"], t["updated_at"], t["status"], t["priority"],
                       t["subject"])
        for t in sandbox_tickets(sandbox)
        if t["organization_id"] in matched
    }  # fmt: skip


def _sync(conn: Connection, stream: str | None = None, **kw) -> SyncRun:
    run, skipped = sync_run_execute(connection_id=conn.pk, stream=stream, trigger="cli", **kw)
    assert run is not None, skipped
    return run


# --- Zendesk tickets ----------------------------------------------------------------


def test_full_ticket_sync_stores_exactly_the_sandbox_tickets(sandbox):
    seed_accounts(ACCOUNTS)
    conn = make_connection(sandbox, "zendesk", page_size=20)
    all_tickets = sandbox_tickets(sandbox)
    expected = _expected_tickets(sandbox)
    orphans = len(all_tickets) - len(expected)
    assert expected and orphans > 0

    run = _sync(conn, "tickets")

    assert run.status == "succeeded", run.error_message
    assert _stored_tickets(conn) == expected
    assert (run.fetched, run.created, run.updated) == (len(all_tickets), len(expected), 0)
    assert run.unmatched == orphans
    assert {s["reason"].split(" or ")[0] for s in run.unmatched_samples} <= {
        f"no account for organization {t['organization_id']}" for t in all_tickets
    }
    conn.refresh_from_db()
    assert conn.cursors["tickets"]["after_cursor"]
    assert run.cursor_after == conn.cursors and run.cursor_before == {}
    # Requesters resolve to the stored contact by e-mail within the account.
    first_contacts = SupportTicket.objects.filter(connection=conn, contact__isnull=False)
    assert first_contacts.exists()
    assert all(t.contact.account_id == t.account_id for t in first_contacts)

    again = _sync(conn, "tickets")
    assert (again.status, again.fetched, again.created, again.updated) == ("succeeded", 0, 0, 0)
    assert SupportTicket.objects.filter(connection=conn).count() == len(expected)


def test_incremental_sync_updates_exactly_the_touched_tickets(sandbox):
    seed_accounts(ACCOUNTS)
    conn = make_connection(sandbox, "zendesk", page_size=25)
    _sync(conn, "tickets")
    before = _stored_tickets(conn)

    touched = [str(t) for t in sandbox.zendesk_touch(6)["touched"]]
    added = [str(t) for t in sandbox.zendesk_add(2)["added"]]
    run = _sync(conn, "tickets")

    expected = _expected_tickets(sandbox)
    touched_matched = [t for t in touched if t in expected]
    assert run.status == "succeeded"
    assert run.fetched == len(touched) + len(added)
    assert (run.created, run.updated) == (len(added), len(touched_matched))
    after = _stored_tickets(conn)
    assert after == expected
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed == set(touched_matched) | set(added)


def test_a_429_mid_sync_is_retried_and_the_run_succeeds(sandbox):
    seed_accounts(ACCOUNTS)
    conn = make_connection(sandbox, "zendesk", page_size=20)

    def after_first_page(progress):
        if progress.page == 1:
            sandbox.set_fault("zendesk", "429", count=2, retry_after=0.05)

    run = _sync(conn, "tickets", on_page=after_first_page)

    assert run.status == "succeeded", run.error_message
    assert sandbox.stats()["faults_applied"] == {"zendesk:429": 2}
    assert _stored_tickets(conn) == _expected_tickets(sandbox)


def test_a_5xx_burst_fails_the_run_without_moving_the_cursor_past_the_page(sandbox):
    seed_accounts(ACCOUNTS)
    conn = make_connection(sandbox, "zendesk", page_size=20, retry_max_attempts=3)
    committed = []

    def after_first_page(progress):
        committed.append(progress.cursor)
        if progress.page == 1:
            sandbox.set_fault("zendesk", "500", count=10)

    run = _sync(conn, "tickets", on_page=after_first_page)

    assert run.status == "failed"
    assert run.error_code == "provider_server_error"
    assert sandbox.stats()["faults_applied"] == {"zendesk:500": 3}
    conn.refresh_from_db()
    assert committed and conn.cursors["tickets"] == committed[-1] == run.cursor_after["tickets"]
    first_page = sorted(sandbox_tickets(sandbox), key=lambda t: (t["updated_at"], t["id"]))[:20]
    stored = set(_stored_tickets(conn))
    assert stored == {str(t["id"]) for t in first_page} & set(_expected_tickets(sandbox))
    assert run.created == len(stored) > 0 and run.fetched == 20

    sandbox.reset_faults()
    rerun = _sync(conn, "tickets")
    assert rerun.status == "succeeded"
    assert _stored_tickets(conn) == _expected_tickets(sandbox)
    assert rerun.created == len(_expected_tickets(sandbox)) - len(stored)


def test_a_soft_time_limit_between_pages_keeps_what_was_committed(sandbox):
    seed_accounts(ACCOUNTS)
    conn = make_connection(sandbox, "zendesk", page_size=20)

    def limit_after_second_page(progress):
        if progress.page == 2:
            raise SoftTimeLimitExceeded()  # what Celery raises inside the task

    run = _sync(conn, "tickets", on_page=limit_after_second_page)

    assert (run.status, run.error_code, run.fetched) == ("failed", "time_limit", 40)
    conn.refresh_from_db()
    assert conn.cursors == run.cursor_after
    resumed = _sync(conn, "tickets")
    assert resumed.fetched == len(sandbox_tickets(sandbox)) - 40
    assert _stored_tickets(conn) == _expected_tickets(sandbox)


# --- Zendesk organizations ----------------------------------------------------------


def test_organizations_link_accounts_by_domain_and_report_unknown_ones(sandbox):
    accounts = seed_accounts(ACCOUNTS, external_ids=False)
    conn = make_connection(sandbox, "zendesk", page_size=7)

    run = _sync(conn, "organizations")

    assert run.status == "succeeded"
    linked = dict(Account.objects.values_list("pk", "zendesk_org_id"))
    assert linked == {a.pk: demo_company(n).zendesk_org_id for n, a in accounts.items()}
    orphans = len(sandbox.dataset.orphan_numbers)
    assert (run.fetched, run.updated, run.unmatched) == (len(ACCOUNTS) + orphans, 20, orphans)
    # ...so the tickets stream now matches through organization_id alone.
    tickets = _sync(conn, "tickets")
    assert _stored_tickets(conn) == _expected_tickets(sandbox)
    assert tickets.unmatched == len(sandbox_tickets(sandbox)) - len(_expected_tickets(sandbox))


# --- Intercom -----------------------------------------------------------------------


def _intercom_all(sandbox, kind):
    headers = {"Authorization": f"Bearer {sandbox.credentials.intercom_access_token}"}
    key = "data" if kind == "contacts" else "conversations"
    records, body = [], {"pagination": {"per_page": 150}}
    while True:
        page = requests.post(
            f"{sandbox.url}/intercom/{kind}/search", json=body, headers=headers, timeout=T
        ).json()
        records += page[key]
        following = page["pages"].get("next")
        if not following:
            return records
        body = {"pagination": {"per_page": 150, "starting_after": following["starting_after"]}}


def test_intercom_contacts_and_conversations_sync_exactly(sandbox):
    seed_accounts(ACCOUNTS)
    conn = make_connection(sandbox, "intercom", page_size=40)
    contacts = _intercom_all(sandbox, "contacts")
    matched = {c["id"]: c for c in contacts if c["companies"]["data"]}
    leads = len(contacts) - len(matched)

    run = _sync(conn)

    assert run.status == "succeeded", run.error_message
    stored = dict(
        Contact.objects.filter(intercom_contact_id__isnull=False).values_list(
            "intercom_contact_id", "email"
        )
    )
    assert stored == {cid: c["email"] for cid, c in matched.items()}
    # The contact seeded per account was linked by e-mail, not duplicated.
    assert Contact.objects.count() == len(matched)
    conversations = _intercom_all(sandbox, "conversations")
    states = {"open": "open", "snoozed": "hold", "closed": "solved"}
    expected = {
        c["id"]: (c["updated_at"], states[c["state"]])
        for c in conversations
        if c["contacts"]["contacts"][0]["id"] in matched
    }  # fmt: skip
    tickets = {
        ext: (int(upd.timestamp()), status)
        for ext, upd, status in SupportTicket.objects.filter(connection=conn).values_list(
            "external_id", "source_updated_at", "status"
        )
    }
    assert tickets == expected
    assert run.created == len(matched) - len(ACCOUNTS) + len(expected)
    assert run.updated == len(ACCOUNTS)  # the linked contacts
    assert run.unmatched == leads + (len(conversations) - len(expected))

    touched = sandbox.intercom_touch(4)["touched"]
    again = _sync(conn, "conversations")
    touched_matched = [t for t in touched if t in expected]
    assert (again.created, again.updated) == (0, len(touched_matched))
    states = dict(
        SupportTicket.objects.filter(connection=conn, external_id__in=touched).values_list(
            "external_id", "status"
        )
    )
    flipped = {c["id"]: c["state"] for c in _intercom_all(sandbox, "conversations")}
    assert all(
        states[t] == {"open": "open", "closed": "solved"}[flipped[t]] for t in touched_matched
    )


# --- the run lifecycle --------------------------------------------------------------


def test_a_running_sync_blocks_a_second_one(sandbox):
    seed_accounts(ACCOUNTS)
    conn = make_connection(sandbox, "zendesk")
    claim = sync_run_claim(
        connection_id=conn.pk, stream="tickets", run_id=None, task_id="t-1",
        trigger="schedule", full_resync=False,
    )  # fmt: skip
    assert claim.run is not None

    run, skipped = sync_run_execute(connection_id=conn.pk, stream="tickets", task_id="t-2")

    assert run is None and f"run {claim.run.pk} is running" in skipped
    assert SyncRun.objects.filter(connection=conn).count() == 1
    assert not SupportTicket.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRun.objects.create(
            connection=conn, stream="tickets", status="queued", started_at=clock.now()
        )


def test_a_run_without_heartbeat_is_abandoned_and_replaced(sandbox):
    seed_accounts(ACCOUNTS)
    conn = make_connection(sandbox, "zendesk")
    old = clock.now() - timedelta(minutes=30)
    dead = SyncRun.objects.create(
        connection=conn, stream="tickets", status="running", started_at=old, heartbeat_at=old
    )

    run = _sync(conn, "tickets")

    dead.refresh_from_db()
    assert (dead.status, dead.error_code) == ("failed", "abandoned")
    assert dead.finished_at is not None
    assert run.status == "succeeded" and run.pk != dead.pk
    assert _stored_tickets(conn) == _expected_tickets(sandbox)


def test_undecryptable_credentials_fail_the_run_with_their_own_code(sandbox, settings):
    from integrations.services.encryption import encryption_keys_reset

    seed_accounts(ACCOUNTS)
    conn = make_connection(sandbox, "zendesk")
    settings.SALT_KEY = ["some-other-salt"]
    encryption_keys_reset()
    try:
        run = _sync(conn, "tickets")
    finally:
        settings.SALT_KEY = ["cs-platform-fields-v1"]
        encryption_keys_reset()
    assert (run.status, run.error_code) == ("failed", "credentials_undecryptable")
    assert sandbox.requests_to("zendesk") == 0
