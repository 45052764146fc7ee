"""Bulk ingestion over REST: `POST /api/v1/usage/bulk/` and `POST /api/v1/contacts/bulk/`.

Done when 5,000 usage rows with some bad ones store the good rows, report the bad ones
per row, and a repeat post changes nothing — in a small, constant number of queries.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from cs_platform.core import clock
from customers.models import Account, Contact
from health.models import UsageDaily

pytestmark = pytest.mark.django_db

USAGE_URL = "/api/v1/usage/bulk/"
CONTACTS_URL = "/api/v1/contacts/bulk/"


def post(client, url, body, token):
    return client.post(
        url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def usage_snapshot():
    return list(
        UsageDaily.objects.order_by("id").values_list(
            "id", "account_id", "date", "active_users", "sessions", "events", "minutes", "source"
        )
    )


@pytest.fixture
def book(staff):
    """50 accounts in csm1's book (with Mixpanel group ids) and one in csm2's."""
    mine = Account.objects.bulk_create(
        Account(name=f"Bulk {i:02d}", owner=staff["csm1"], mixpanel_group_id=f"mp-{i:02d}")
        for i in range(50)
    )
    other = Account.objects.create(name="Other book", owner=staff["csm2"])
    return {"mine": mine, "other": other}


def usage_rows(accounts, days=100):
    today = clock.today()
    rows = []
    for n, account in enumerate(accounts):
        for back in range(1, days + 1):
            users = 10 + (n + back) % 40
            row = {
                "date": (today - timedelta(days=back)).isoformat(),
                "active_users": users,
                "sessions": users * 3,
                "events": users * 20,
                "minutes": users * 7,
            }
            if n % 5 == 0:  # a fifth of the accounts are named by their Mixpanel group id
                row["account_external_id"] = account.mixpanel_group_id
            else:
                row["account"] = account.pk
            rows.append(row)
    return rows


@pytest.mark.date_sensitive
def test_5000_usage_rows_with_bad_ones_store_good_rows_and_repeat_changes_nothing(
    client, staff, book, make_token
):
    token = make_token(staff["csm1"])
    rows = usage_rows(book["mine"])
    assert len(rows) == 5000
    today = clock.today()
    good = rows[101]  # account 1, named by id
    bad = {
        10: ({**good, "sessions": good["active_users"] - 1}, "sessions"),
        20: ({**good, "events": -5}, "events"),
        30: ({**good, "date": (today + timedelta(days=1)).isoformat()}, "date"),
        40: ({**good, "account": book["other"].pk}, "account"),  # another CSM's account
        50: ({**good, "account": 987654321}, "account"),
        60: ({**good, "date": "2024-13-01"}, "date"),
        70: ({**good, "colour": "blue"}, "colour"),
        80: ({**good, "active_users": "12"}, "active_users"),
        90: ({k: v for k, v in good.items() if k != "minutes"}, "minutes"),
        100: (
            {**{k: v for k, v in good.items() if k != "account"}, "account_external_id": "nope"},
            "account_external_id",
        ),
        110: ({**good, "account_external_id": "mp-01"}, "account"),
        120: (["not", "an", "object"], "row"),
        130: ({**good, "active_users": True}, "active_users"),
        4999: ({**rows[0]}, "date"),  # the same (account, date) as row 0
    }
    for index, (row, _) in bad.items():
        rows[index] = row
    expected_good = 5000 - len(bad)

    with CaptureQueriesContext(connection) as ctx:
        resp = post(client, USAGE_URL, {"rows": rows}, token)
    assert resp.status_code == 200, resp.content[:500]
    body = resp.json()
    assert body["counts"] == {
        "created": expected_good,
        "updated": 0,
        "unchanged": 0,
        "error": len(bad),
    }
    results = body["results"]
    assert [r["index"] for r in results] == list(range(5000))
    for index, (_, field) in bad.items():
        assert results[index]["status"] == "error", index
        assert field in {e["field"] for e in results[index]["errors"]}, results[index]
    assert results[0] == {"index": 0, "status": "created", "errors": []}
    # Set-based: accounts, stored keys, one upsert, the audit event; not a query per row.
    assert len(ctx.captured_queries) <= 15, [q["sql"][:80] for q in ctx.captured_queries]

    assert UsageDaily.objects.count() == expected_good
    assert not UsageDaily.objects.filter(account=book["other"]).exists()
    first = book["mine"][0]  # named by its Mixpanel group id
    stored = UsageDaily.objects.get(account=first, date=today - timedelta(days=1))
    assert (stored.active_users, stored.sessions, stored.events, stored.minutes) == (
        11,
        33,
        220,
        77,
    )
    assert stored.source == "api"
    audits = AuditEvent.objects.filter(action="usage.bulk_upsert")
    assert audits.count() == 1
    audit = audits.get()
    assert audit.channel == "rest" and audit.actor_id == staff["csm1"].pk
    assert audit.changes["created"] == expected_good and audit.changes["error"] == len(bad)

    before = usage_snapshot()
    again = post(client, USAGE_URL, {"rows": rows}, token)
    assert again.status_code == 200
    assert again.json()["counts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": expected_good,
        "error": len(bad),
    }
    assert usage_snapshot() == before
    assert AuditEvent.objects.filter(action="usage.bulk_upsert").count() == 1


@pytest.mark.date_sensitive
def test_usage_bulk_updates_only_changed_rows(client, staff, book, make_token):
    token = make_token(staff["manager"])
    rows = usage_rows(book["mine"][:2], days=5)
    post(client, USAGE_URL, {"rows": rows}, token)
    untouched = usage_snapshot()[1:]
    rows[0] = {**rows[0], "active_users": 3, "sessions": 4}
    resp = post(client, USAGE_URL, {"rows": rows}, token)
    assert resp.json()["counts"] == {"created": 0, "updated": 1, "unchanged": 9, "error": 0}
    assert resp.json()["results"][0]["status"] == "updated"
    changed = UsageDaily.objects.get(account=book["mine"][0], date=rows[0]["date"])
    assert (changed.active_users, changed.sessions) == (3, 4)
    assert usage_snapshot()[1:] == untouched
    assert AuditEvent.objects.filter(action="usage.bulk_upsert").count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"rows": [{"account": 1}] * 5001},
        {"rows": []},
        {"rows": {"account": 1}},
        {"rows": [], "extra": 1},
        [{"account": 1}],
    ],
)
def test_usage_bulk_rejects_a_bad_envelope_naming_rows(client, staff, make_token, body):
    token = make_token(staff["manager"])
    resp = post(client, USAGE_URL, body, token)
    assert resp.status_code == 400
    payload = resp.json()
    assert payload["code"] == "invalid_input"
    assert [e["field"] for e in payload["details"]["errors"]] == ["rows"]
    assert UsageDaily.objects.count() == 0


def test_bulk_needs_write_scope_and_a_writing_role(client, staff, book, make_token):
    rows = usage_rows(book["mine"][:1], days=2)
    read_only = make_token(staff["csm1"], scopes=["read"])
    viewer = make_token(staff["viewer"])
    for token in (read_only, viewer):
        resp = post(client, USAGE_URL, {"rows": rows}, token)
        assert resp.status_code == 403 and resp.json()["code"] == "permission_denied"
    assert UsageDaily.objects.count() == 0


def contact_row(account, n, **extra):
    return {
        "external_id": f"crm-{n}",
        "account": account.pk,
        "email": f"Person{n}@Example.com",
        "first_name": f"First{n}",
        "last_name": f"Last{n}",
        "title": "Ops",
        "role": "user",
        **extra,
    }


def contact_snapshot():
    return list(
        Contact.objects.order_by("id").values_list(
            "id", "account_id", "external_id", "email", "first_name", "last_name", "title",
            "role", "is_primary", "updated_at",
        )
    )  # fmt: skip


def test_contacts_bulk_per_row_results_and_idempotent_repeat(client, staff, book, make_token):
    token = make_token(staff["csm1"])
    acc, acc2 = book["mine"][0], book["mine"][1]
    Contact.objects.create(account=acc2, email="taken@example.com", external_id="crm-taken")
    rows = [
        contact_row(acc, 1, is_primary=True),
        contact_row(acc, 2),
        contact_row(acc, 3, email="not-an-email"),
        contact_row(acc, 4, role="overlord"),
        contact_row(book["other"], 5),  # another CSM's account
        contact_row(acc, 6, external_id=""),
        contact_row(acc2, 7, email="TAKEN@example.com"),  # e-mail used on that account
        contact_row(acc, 8, email="person1@example.com"),  # same e-mail as row 0
        contact_row(acc, 1),  # repeats row 0's external id
        contact_row(acc, 9, is_primary=True),  # a second primary for the account
    ]
    resp = post(client, CONTACTS_URL, {"rows": rows}, token)
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["created", "created"] + ["error"] * 8
    assert [results[i]["errors"][0]["field"] for i in range(2, 10)] == [
        "email",
        "role",
        "account",
        "external_id",
        "email",
        "email",
        "external_id",
        "is_primary",
    ]
    first = Contact.objects.get(external_id="crm-1")
    assert results[0]["id"] == first.pk
    assert (first.email, first.first_name, first.is_primary) == (
        "person1@example.com",
        "First1",
        True,
    )
    assert Contact.objects.count() == 3  # crm-taken, crm-1, crm-2
    assert AuditEvent.objects.filter(action="contact.bulk_upsert").count() == 1
    # Personal data stays out of the immutable audit chain.
    assert "person1" not in str(AuditEvent.objects.get(action="contact.bulk_upsert").changes)

    before = contact_snapshot()
    again = post(client, CONTACTS_URL, {"rows": rows}, token)
    assert [r["status"] for r in again.json()["results"][:2]] == ["unchanged", "unchanged"]
    assert contact_snapshot() == before
    assert AuditEvent.objects.filter(action="contact.bulk_upsert").count() == 1


def test_contacts_bulk_merges_fields_and_moves_the_primary_flag(client, staff, book, make_token):
    token = make_token(staff["csm1"])
    acc = book["mine"][0]
    post(client, CONTACTS_URL, {"rows": [contact_row(acc, 1, is_primary=True)]}, token)
    # Absent optional fields keep stored values; the primary moves from crm-1 to crm-2.
    rows = [
        {"external_id": "crm-1", "account": acc.pk, "email": "person1@example.com"},
        {**contact_row(acc, 2, is_primary=True)},
    ]
    rows[0]["is_primary"] = False
    rows[1], rows[0] = rows[0], rows[1]  # the promotion comes first in the request
    resp = post(client, CONTACTS_URL, {"rows": rows}, token)
    assert [r["status"] for r in resp.json()["results"]] == ["created", "updated"]
    one, two = Contact.objects.get(external_id="crm-1"), Contact.objects.get(external_id="crm-2")
    assert (one.is_primary, one.first_name, one.title) == (False, "First1", "Ops")
    assert two.is_primary is True
    # null clears a text field; a third primary is refused while crm-2 holds it.
    resp = post(
        client,
        CONTACTS_URL,
        {"rows": [{**contact_row(acc, 1), "title": None}, contact_row(acc, 3, is_primary=True)]},
        token,
    )
    assert [r["status"] for r in resp.json()["results"]] == ["updated", "error"]
    assert Contact.objects.get(external_id="crm-1").title == ""
    assert not Contact.objects.filter(external_id="crm-3").exists()


def test_contacts_bulk_refuses_erased_and_out_of_book_contacts(client, staff, book, make_token):
    token = make_token(staff["csm1"])
    acc = book["mine"][0]
    Contact.objects.create(
        account=acc, email="gone@example.invalid", external_id="crm-1", erased_at=clock.now()
    )
    Contact.objects.create(account=book["other"], email="x@example.com", external_id="crm-2")
    before = contact_snapshot()
    resp = post(client, CONTACTS_URL, {"rows": [contact_row(acc, 1), contact_row(acc, 2)]}, token)
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["error", "error"]
    assert "erased" in results[0]["errors"][0]["message"]
    assert results[1]["errors"][0]["field"] == "external_id"
    assert contact_snapshot() == before


def test_contacts_bulk_query_count_is_constant(client, staff, book, make_token):
    token = make_token(staff["manager"])
    rows = [contact_row(book["mine"][n % 50], n) for n in range(3000)]
    with CaptureQueriesContext(connection) as ctx:
        resp = post(client, CONTACTS_URL, {"rows": rows}, token)
    assert resp.json()["counts"]["created"] == 3000
    assert len(ctx.captured_queries) <= 15
    rows[7]["title"] = "Head of Ops"
    resp = post(client, CONTACTS_URL, {"rows": rows}, token)
    assert resp.json()["counts"] == {"created": 0, "updated": 1, "unchanged": 2999, "error": 0}
    assert Contact.objects.get(external_id="crm-7").title == "Head of Ops"
