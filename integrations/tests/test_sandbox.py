"""The sandbox providers, exercised over real HTTP as a provider client would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from customers.demo_identity import demo_company, demo_contact_email
from integrations.sandbox import SandboxServer
from integrations.sandbox.data import ORPHAN_ZENDESK_ORG_BASE, QUIET_DAYS

T = (3.05, 30)
TICKETS = "/zendesk/api/v2/incremental/tickets/cursor.json"
EXPORT = "/mixpanel/api/2.0/export"
SEND = "/sendgrid/v3/mail/send"


def api(target, method, path, **kwargs):
    """Call a provider path with that provider's credentials, as its client would.
    ``target`` is the sandbox fixture or a SandboxServer."""
    c = target.credentials
    provider = urlsplit(path).path.split("/")[1]
    if provider == "zendesk":
        kwargs.setdefault("auth", (f"{c.zendesk_email}/token", c.zendesk_api_token))
    elif provider == "mixpanel":
        kwargs.setdefault("auth", (c.mixpanel_username, c.mixpanel_secret))
    else:
        token = c.intercom_access_token if provider == "intercom" else c.sendgrid_api_key
        kwargs.setdefault("headers", {"Authorization": f"Bearer {token}"})
    url = path if path.startswith("http") else target.url + path
    return requests.request(method, url, timeout=T, **kwargs)


def walk_tickets(sandbox, **params):
    """Follow after_url until end_of_stream; returns (tickets, pages, last after_cursor)."""
    response = api(sandbox, "GET", TICKETS, params=params)
    tickets, pages = [], 0
    while True:
        assert response.status_code == 200
        page = response.json()
        tickets += page["tickets"]
        pages += 1
        if page["end_of_stream"]:
            return tickets, pages, page["after_cursor"]
        response = api(sandbox, "GET", page["after_url"])


def search(sandbox, kind, body):
    response = api(sandbox, "POST", f"/intercom/{kind}/search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def export(sandbox, from_date, to_date, **params):
    dates = {"from_date": from_date.isoformat(), "to_date": to_date.isoformat()}
    response = api(sandbox, "GET", EXPORT, params={**dates, **params}, stream=True)
    assert response.status_code == 200
    return [json.loads(line) for line in response.iter_lines() if line]


def mail_to(email):
    return {
        "personalizations": [{"to": [{"email": email}]}],
        "from": {"email": "csm@example.com"},
        "subject": "QBR",
        "content": [{"type": "text/plain", "value": "See you Tuesday"}],
    }


def test_same_arguments_give_identical_data():
    options = {"accounts": 12, "days": 15, "seed": 5, "today": date(2025, 6, 30)}
    with SandboxServer(**options) as a, SandboxServer(**options) as b:
        with SandboxServer(**{**options, "seed": 6}) as other:
            pages = []
            for server in (a, b, other):
                zd = api(server, "GET", TICKETS, params={"start_time": 0}).json()
                ic = api(server, "POST", "/intercom/conversations/search", json={}).json()
                dates = {"from_date": "2025-06-01", "to_date": "2025-06-30"}
                mp = api(server, "GET", EXPORT, params=dates).text
                pages.append((zd["tickets"], ic["conversations"], mp))
    assert pages[0] == pages[1]
    assert len(pages[0][0]) > 20 and len(pages[0][2].splitlines()) > 1000
    assert pages[0][0] != pages[2][0] and pages[0][2] != pages[2][2]


def test_zendesk_cursor_export_walks_every_ticket_exactly_once(sandbox):
    every = requests.get(f"{sandbox.url}/_sandbox/zendesk/tickets", timeout=T).json()["tickets"]
    tickets, pages, _ = walk_tickets(sandbox, start_time=0, per_page=7)
    ids = [t["id"] for t in tickets]
    assert len(ids) == len(set(ids)) == len(every)
    assert sorted(ids) == [t["id"] for t in every]
    assert pages == math.ceil(len(every) / 7)
    stamps = [(t["generated_timestamp"], t["id"]) for t in tickets]
    assert stamps == sorted(stamps)


def test_zendesk_incremental_after_touch_returns_only_changed_tickets(sandbox):
    before, _, cursor = walk_tickets(sandbox, start_time=0)
    old_status = {t["id"]: t["status"] for t in before}
    nothing = api(sandbox, "GET", TICKETS, params={"cursor": cursor}).json()
    assert nothing["tickets"] == [] and nothing["end_of_stream"] is True

    touched = sandbox.zendesk_touch(3)
    added = sandbox.zendesk_add(2)["added"]
    assert len(touched["touched"]) == 3 and len(added) == 2
    assert min(added) == max(old_status) + 1

    changed, _, _ = walk_tickets(sandbox, cursor=cursor)
    assert sorted(t["id"] for t in changed) == sorted(touched["touched"] + added)
    for ticket in changed:
        if ticket["id"] in old_status:
            assert ticket["status"] != old_status[ticket["id"]]
            assert ticket["updated_at"] == touched["updated_at"]
    # start_time based: the same five, since nothing else changed at or after that time
    start = changed[0]["generated_timestamp"]
    by_time, _, _ = walk_tickets(sandbox, start_time=start)
    assert sorted(t["id"] for t in by_time) == sorted(touched["touched"] + added)


def test_zendesk_organizations_map_to_demo_accounts_with_some_unmatched(sandbox):
    orgs_path = "/zendesk/api/v2/incremental/organizations.json"
    body = api(sandbox, "GET", orgs_path, params={"start_time": 0}).json()
    orgs = {o["id"]: o for o in body["organizations"]}
    assert body["end_of_stream"] is True and body["count"] == len(orgs)
    demo_ids = {int(demo_company(n).zendesk_org_id) for n in range(1, 21)}
    orphans = set(orgs) - demo_ids
    assert demo_ids <= set(orgs)
    assert orphans and all(o > ORPHAN_ZENDESK_ORG_BASE for o in orphans)
    assert orgs[int(demo_company(3).zendesk_org_id)]["domain_names"] == [demo_company(3).domain]
    last_update = datetime.fromisoformat(body["organizations"][-1]["updated_at"])
    assert body["end_time"] == int(last_update.timestamp())
    second = api(sandbox, "GET", body["next_page"]).json()
    assert second["count"] == 1 and second["end_of_stream"] is True  # the boundary record
    tickets, _, _ = walk_tickets(sandbox, start_time=0)
    ticket_orgs = {t["organization_id"] for t in tickets}
    assert ticket_orgs <= set(orgs)
    assert ticket_orgs & orphans, "some tickets must match no demo account"


def test_zendesk_ticket_create_and_update_for_mirroring(sandbox):
    _, _, cursor = walk_tickets(sandbox, start_time=0)
    email = demo_contact_email(4, 0)
    created = api(
        sandbox,
        "POST",
        "/zendesk/api/v2/tickets.json",
        json={
            "ticket": {
                "subject": "Mirror me",
                "comment": {"body": "Details"},
                "requester": {"email": email},
                "priority": "high",
                "external_id": "local-42",
            }
        },
    )
    assert created.status_code == 201
    ticket = created.json()["ticket"]
    assert ticket["organization_id"] == int(demo_company(4).zendesk_org_id)
    assert ticket["external_id"] == "local-42" and ticket["description"] == "Details"
    assert created.headers["Location"].endswith(f"/tickets/{ticket['id']}.json")

    updated = api(
        sandbox,
        "PUT",
        f"/zendesk/api/v2/tickets/{ticket['id']}.json",
        json={"ticket": {"status": "solved", "comment": {"body": "Fixed"}}},
    )
    assert updated.status_code == 200 and updated.json()["ticket"]["status"] == "solved"
    assert updated.json()["ticket"]["generated_timestamp"] > ticket["generated_timestamp"]
    changed, _, _ = walk_tickets(sandbox, cursor=cursor)
    assert [t["id"] for t in changed] == [ticket["id"]]

    invalid = {"ticket": {"subject": "x", "priority": "whenever", "comment": {"body": "y"}}}
    bad = api(sandbox, "POST", "/zendesk/api/v2/tickets.json", json=invalid)
    assert bad.status_code == 422 and bad.json()["error"] == "RecordInvalid"
    missing = api(
        sandbox, "PUT", "/zendesk/api/v2/tickets/999999.json", json={"ticket": {"status": "open"}}
    )
    assert missing.status_code == 404 and missing.json()["error"] == "RecordNotFound"


def test_intercom_contacts_paginate_and_carry_demo_identities(sandbox):
    seen, pages, body = [], 0, {"pagination": {"per_page": 10}}
    while True:
        page = search(sandbox, "contacts", body)
        assert page["type"] == "list" and page["pages"]["per_page"] == 10
        seen += page["data"]
        pages += 1
        if "next" not in page["pages"]:
            break
        body = {
            "pagination": {
                "per_page": 10,
                "starting_after": page["pages"]["next"]["starting_after"],
            }
        }
    total = page["total_count"]
    assert len(seen) == len({c["id"] for c in seen}) == total
    assert pages == page["pages"]["total_pages"] == math.ceil(total / 10)
    acme = [
        c["email"]
        for c in seen
        if c["companies"]["data"] and c["companies"]["data"][0]["id"] == "ic_000001"
    ]
    assert sorted(acme) == sorted(sandbox.dataset.contact_emails(1))
    assert any(not c["companies"]["data"] for c in seen), "unmatched leads expected"


def test_intercom_updated_at_filter_supports_incremental_sync(sandbox):
    everything = search(sandbox, "conversations", {"pagination": {"per_page": 150}})
    assert everything["type"] == "conversation.list"
    stamps = sorted(c["updated_at"] for c in everything["conversations"])
    middle = stamps[len(stamps) // 2]
    query = {
        "query": {
            "operator": "AND",
            "value": [{"field": "updated_at", "operator": ">", "value": middle}],
        }
    }
    newer = search(sandbox, "conversations", {**query, "pagination": {"per_page": 150}})
    assert newer["total_count"] == sum(1 for s in stamps if s > middle)
    assert all(c["updated_at"] > middle for c in newer["conversations"])

    high_water = stamps[-1]
    touched = sandbox.intercom_touch(2)["touched"]
    changed = search(
        sandbox,
        "conversations",
        {"query": {"field": "updated_at", "operator": ">", "value": high_water}},
    )
    assert sorted(c["id"] for c in changed["conversations"]) == sorted(touched)
    bad_query = {"query": {"field": "x", "operator": "??", "value": 1}}
    bad = api(sandbox, "POST", "/intercom/contacts/search", json=bad_query)
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "parameter_invalid"


def test_intercom_webhook_is_signed_with_client_secret(sandbox, webhook_receiver):
    result = sandbox.intercom_webhook(webhook_receiver.url, topic="conversation.admin.closed")
    assert result["status_code"] == 200
    headers, body = webhook_receiver.received[0]
    secret = sandbox.credentials.intercom_client_secret.encode()
    expected = "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest()
    assert headers["X-Hub-Signature"] == expected
    notification = json.loads(body)
    assert notification["topic"] == "conversation.admin.closed"
    assert notification["data"]["item"]["type"] == "conversation"
    sandbox.intercom_webhook(webhook_receiver.url, corrupt_signature=True)
    assert webhook_receiver.received[1][0]["X-Hub-Signature"] != expected


@pytest.mark.sandbox(accounts=40, days=45, events_per_day=10)
def test_mixpanel_export_matches_dataset_and_trends_differ(sandbox):
    ds = sandbox.dataset
    first, last = ds.first_day, ds.today - timedelta(days=1)
    events = export(sandbox, first - timedelta(days=5), ds.today)  # clipped to the data
    assert len(events) == ds.event_count(first, last) > 10_000
    assert len({e["properties"]["$insert_id"] for e in events}) == len(events)
    props = events[0]["properties"]
    assert set(props) >= {"time", "distinct_id", "$insert_id", "account_id", "feature"}
    assert props["session_id"]
    assert any(e["properties"]["account_id"].startswith("acct-x") for e in events)

    per_account: dict[str, list[int]] = {}
    for e in events:
        day = (e["properties"]["time"] - ds.start_epoch) // 86400
        per_account.setdefault(e["properties"]["account_id"], [0] * ds.config.days)[day] += 1
    trends = {ds.trend(n): demo_company(n).mixpanel_group_id for n in ds.account_numbers}
    assert set(trends) == {"growing", "flat", "declining", "quiet"}
    early = {t: sum(per_account[a][:15]) for t, a in trends.items()}
    late = {t: sum(per_account[a][-15:]) for t, a in trends.items()}
    assert late["growing"] > 1.5 * early["growing"]
    assert late["declining"] < 0.6 * early["declining"]
    assert sum(per_account[trends["quiet"]][-QUIET_DAYS:]) == 0 < early["quiet"]

    sessions = export(sandbox, first, last, event='["Session Started"]')
    assert len(sessions) == ds.event_count(first, last, events=frozenset({"Session Started"}))
    assert {e["event"] for e in sessions} == {"Session Started"}


def test_sendgrid_send_keeps_message_and_validates_body(sandbox):
    mail = mail_to(demo_contact_email(2, 0))
    sent = api(sandbox, "POST", SEND, json=mail)
    assert sent.status_code == 202 and sent.content == b""
    message_id = sent.headers["X-Message-Id"]
    assert len(message_id) == 22
    [kept] = sandbox.sendgrid_sent()
    assert kept["message_id"] == message_id and kept["to"] == [demo_contact_email(2, 0)]

    bad = api(sandbox, "POST", SEND, json={**mail, "from": {}})
    assert bad.status_code == 400
    [error] = bad.json()["errors"]
    assert error["field"] == "from" and error["message"] and error["help"]
    assert len(sandbox.sendgrid_sent()) == 1


def test_sendgrid_event_webhook_signature_verifies_with_published_key(sandbox, webhook_receiver):
    message_id = api(sandbox, "POST", SEND, json=mail_to("a@b.example")).headers["X-Message-Id"]
    result = sandbox.sendgrid_emit(
        webhook_receiver.url,
        [
            {"event": "delivered", "sg_message_id": message_id},
            {"event": "open", "message_id": message_id},
            {"event": "bounce", "sg_message_id": message_id},
        ],
    )
    assert result["status_code"] == 200
    headers, body = webhook_receiver.received[0]
    events = json.loads(body)
    assert [e["event"] for e in events] == ["delivered", "open", "bounce"]
    assert all(e["sg_message_id"].split(".")[0] == message_id for e in events)
    assert all(e["email"] == "a@b.example" and e["sg_event_id"] for e in events)

    der = base64.b64decode(sandbox.sendgrid_public_key())
    key = serialization.load_der_public_key(der)
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    timestamp = headers["X-Twilio-Email-Event-Webhook-Timestamp"]
    signature = base64.b64decode(headers["X-Twilio-Email-Event-Webhook-Signature"])
    key.verify(signature, timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        key.verify(signature, timestamp.encode() + body + b" ", ec.ECDSA(hashes.SHA256()))


def test_wrong_credentials_get_401_in_each_providers_shape(sandbox):
    wrong = {"auth": ("x", "y"), "headers": {"Authorization": "Bearer wrong"}}
    zd = api(sandbox, "GET", TICKETS, params={"start_time": 0}, auth=wrong["auth"])
    ic = api(sandbox, "POST", "/intercom/contacts/search", json={}, headers=wrong["headers"])
    mp = api(
        sandbox,
        "GET",
        EXPORT,
        params={"from_date": "2025-01-01", "to_date": "2025-01-02"},
        auth=None,
    )
    sg = api(sandbox, "POST", SEND, json=mail_to("a@b.example"), headers={})
    assert [r.status_code for r in (zd, ic, mp, sg)] == [401, 401, 401, 401]
    assert zd.json() == {"error": "Couldn't authenticate you"}
    assert ic.json()["errors"][0]["code"] == "unauthorized"
    assert mp.json()["error"] and sg.json()["errors"][0]["message"]


def test_faults_and_stats_control_endpoints(sandbox):
    sandbox.set_fault("zendesk", "503", count=2)
    url = "/zendesk/api/v2/tickets/1.json"
    codes = [api(sandbox, "GET", url).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    sandbox.set_fault("*", "drop", count=1)
    with pytest.raises(requests.ConnectionError):
        api(sandbox, "GET", url)
    bad = requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"provider": "x", "mode": "500"}, timeout=T
    )
    assert bad.status_code == 400
    stats = sandbox.stats()
    assert stats["providers"]["zendesk"] == 4
    assert stats["paths"] == {"GET /zendesk/api/v2/tickets/1.json": 4}
    assert stats["faults_applied"] == {"zendesk:503": 2, "zendesk:drop": 1}
    sandbox.reset_stats()
    assert sandbox.requests_to("zendesk") == 0
