"""REST resources under /api/v1/: scope per role, filters, keyset pages, writes, schema."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from cs_platform.core import clock
from customers.models import Account, Contact, Contract
from health.models import Feedback, Survey, SurveyResponse, UsageDaily
from integrations.models import SupportTicket

pytestmark = pytest.mark.django_db

RESOURCES = {
    "accounts": Account,
    "contacts": Contact,
    "contracts": Contract,
    "usage": UsageDaily,
    "tickets": SupportTicket,
    "survey-responses": SurveyResponse,
    "feedback": Feedback,
}


def call(client, method, url, token, data=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if data is not None:
        kwargs.update(data=data, content_type="application/json")
    return getattr(client, method)(url, **kwargs)


def get_all(client, url, token):
    """Follow `next` to the end; returns every row and the number of pages."""
    rows, pages = [], 0
    while url:
        resp = call(client, "get", url, token)
        assert resp.status_code == 200, resp.content
        body = resp.json()
        assert set(body) == {"results", "next", "as_of"}
        rows += body["results"]
        pages += 1
        url = body["next"]
    return rows, pages


def rows_of(model, account):
    if model is Account:
        return Account.objects.filter(pk=account.pk)
    return model.objects.filter(account=account)


@pytest.fixture
def voice(portfolio):
    for n, account in enumerate(portfolio.values()):
        Feedback.objects.create(
            account=account,
            kind="bug" if n else "praise",
            text=f"Feedback {n}",
            created_at=clock.now() - timedelta(days=n),
        )
    return portfolio


@pytest.mark.parametrize("resource", list(RESOURCES))
def test_csm_sees_only_own_book_list_and_detail(client, staff, voice, make_token, resource):
    model = RESOURCES[resource]
    token = make_token(staff["csm1"])
    rows, _ = get_all(client, f"/api/v1/{resource}/?limit=200", token)
    own = model.objects.filter(account__owner=staff["csm1"]) if model is not Account else None
    expected = set(
        (own or Account.objects.filter(owner=staff["csm1"])).values_list("id", flat=True)
    )
    assert expected and {r["id"] for r in rows} == expected
    foreign = rows_of(model, voice["other_csm"]).first()
    resp = call(client, "get", f"/api/v1/{resource}/{foreign.pk}/", token)
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    mine = rows_of(model, voice["healthy"]).first()
    assert call(client, "get", f"/api/v1/{resource}/{mine.pk}/", token).json()["id"] == mine.pk
    manager = make_token(staff["manager"])
    assert call(client, "get", f"/api/v1/{resource}/{foreign.pk}/", manager).status_code == 200


def add_rows(account, n=25):
    """n more rows of every resource on one account, so a page of 20 is full."""
    now, today = clock.now(), clock.today()
    survey = Survey.objects.get(key="csat")
    Contact.objects.bulk_create(
        Contact(account=account, email=f"extra{i}@example.com", role="user") for i in range(n)
    )
    Contract.objects.bulk_create(
        Contract(
            account=account,
            name=f"Add-on {i}",
            start_date=today - timedelta(days=400 + i),
            end_date=today - timedelta(days=40 + i),
            arr=1000,
            status="expired",
        )
        for i in range(n)
    )
    SupportTicket.objects.bulk_create(
        SupportTicket(account=account, subject=f"Q{i}", opened_at=now - timedelta(hours=i))
        for i in range(n)
    )
    SurveyResponse.objects.bulk_create(
        SurveyResponse(survey=survey, kind="csat", account=account, score=4, responded_at=now)
        for i in range(n)
    )
    Feedback.objects.bulk_create(
        Feedback(account=account, kind="question", text=f"Q{i}", created_at=now) for i in range(n)
    )


@pytest.mark.parametrize("resource", list(RESOURCES))
def test_list_query_count_does_not_grow_with_page_size(client, staff, voice, make_token, resource):
    add_rows(voice["healthy"])
    token = make_token(staff["manager"])
    call(client, "get", "/api/v1/accounts/?limit=1", token)  # first use stamps last_used_at
    counts = []
    for limit in (2, 20):
        with CaptureQueriesContext(connection) as ctx:
            resp = call(client, "get", f"/api/v1/{resource}/?limit={limit}", token)
        assert resp.status_code == 200
        if resource != "accounts":  # only three accounts exist
            assert len(resp.json()["results"]) == limit
        counts.append(len(ctx.captured_queries))
    # One query authenticates the token, one reads the page.
    assert counts[0] == counts[1] == 2


def test_keyset_pages_cover_every_row_once_in_order(client, staff, portfolio, make_token):
    token = make_token(staff["manager"])
    rows, pages = get_all(client, "/api/v1/usage/?limit=7", token)
    assert pages == -(-UsageDaily.objects.count() // 7)
    keys = [(r["date"], r["id"]) for r in rows]
    assert keys == sorted(keys)
    assert [r["id"] for r in rows] == list(
        UsageDaily.objects.order_by("date", "id").values_list("id", flat=True)
    )
    tickets, _ = get_all(client, "/api/v1/tickets/?limit=2", token)
    assert [t["id"] for t in tickets] == list(
        SupportTicket.objects.order_by("-opened_at", "-id").values_list("id", flat=True)
    )


def test_filters_narrow_each_list(client, staff, voice, make_token):
    token = make_token(staff["manager"])
    healthy, declining = voice["healthy"], voice["declining"]
    today = clock.today()

    def ids(url):
        return {r["id"] for r in get_all(client, url, token)[0]}

    assert ids("/api/v1/accounts/?tier=enterprise") == {declining.pk, voice["other_csm"].pk}
    assert ids(f"/api/v1/accounts/?owner={staff['csm2'].pk}") == {voice["other_csm"].pk}
    assert ids("/api/v1/accounts/?q=fixture-001") == {healthy.pk}
    assert ids("/api/v1/accounts/?updated_since=2999-01-01") == set()
    contact = Contact.objects.get(account=healthy)
    assert ids(f"/api/v1/contacts/?email={contact.email.upper()}") == {contact.pk}
    assert ids("/api/v1/contacts/?role=billing") == set()
    horizon = (today + timedelta(days=65)).isoformat()
    assert len(ids(f"/api/v1/contracts/?ending_before={horizon}&status=active")) == 3
    assert ids(f"/api/v1/contracts/?ending_before={today.isoformat()}") == set()
    week = ids(
        f"/api/v1/usage/?account={healthy.pk}&date_from={(today - timedelta(days=6))}"
        f"&date_to={today.isoformat()}"
    )
    assert week == set(
        UsageDaily.objects.filter(account=healthy, date__gte=today - timedelta(days=6)).values_list(
            "id", flat=True
        )
    )
    assert len(week) == 7
    urgent = ids("/api/v1/tickets/?priority=urgent&status=open")
    assert urgent == set(
        SupportTicket.objects.filter(priority="urgent").values_list("id", flat=True)
    )
    assert len(urgent) == 2
    assert len(ids(f"/api/v1/tickets/?account={healthy.pk}&opened_since=2000-01-01")) == 1
    assert len(ids(f"/api/v1/survey-responses/?account={declining.pk}&kind=nps")) == 3
    since = (clock.now() - timedelta(days=7)).isoformat()
    assert len(ids(f"/api/v1/survey-responses/?since={since}".replace("+", "%2B"))) == 3  # csat
    assert len(ids("/api/v1/feedback/?kind=bug&status=new")) == 2


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/api/v1/accounts/?tier=gold", {"tier"}),
        ("/api/v1/accounts/?owner=me&updated_since=yesterday", {"owner", "updated_since"}),
        ("/api/v1/accounts/?teir=smb", {"teir"}),
        ("/api/v1/usage/?date_from=2024-02-30", {"date_from"}),
        ("/api/v1/contacts/?email=nope", {"email"}),
        ("/api/v1/tickets/?status=open&status=new", {"status"}),
        ("/api/v1/feedback/?limit=201", {"limit"}),
        ("/api/v1/contracts/?cursor=garbage", {"cursor"}),
    ],
)
def test_invalid_query_parameters_are_named(client, staff, portfolio, make_token, url, fields):
    resp = call(client, "get", url, make_token(staff["manager"]))
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "invalid_input" and body["retryable"] is False
    assert {e["field"] for e in body["details"]["errors"]} == fields


def test_cursor_of_another_list_is_rejected(client, staff, portfolio, make_token):
    token = make_token(staff["manager"])
    next_url = call(client, "get", "/api/v1/usage/?limit=1", token).json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]
    resp = call(client, "get", f"/api/v1/tickets/?cursor={cursor}", token)
    assert resp.status_code == 400 and resp.json()["details"]["errors"][0]["field"] == "cursor"


@pytest.mark.date_sensitive
def test_contact_create_and_update_write_audited_rows(client, staff, portfolio, make_token):
    token = make_token(staff["csm1"])
    account = portfolio["healthy"]
    resp = call(
        client,
        "post",
        "/api/v1/contacts/",
        token,
        {"account": account.pk, "email": "New@Example.com", "first_name": "Ada", "role": "admin"},
    )
    assert resp.status_code == 201, resp.content
    contact = Contact.objects.get(pk=resp.json()["id"])
    assert (contact.email, contact.first_name, contact.role) == ("new@example.com", "Ada", "admin")
    event = AuditEvent.objects.get(action="contact.create")
    assert event.channel == "rest" and event.account_id == account.pk
    assert "Ada" not in str(event.changes) and event.changes["role"] == "admin"

    resp = call(client, "patch", f"/api/v1/contacts/{contact.pk}/", token, {"title": "CTO"})
    assert resp.status_code == 200 and resp.json()["title"] == "CTO"
    assert Contact.objects.get(pk=contact.pk).title == "CTO"
    assert AuditEvent.objects.get(action="contact.update").changes == {"title": "<changed>"}

    dup = call(
        client, "post", "/api/v1/contacts/", token, {"account": account.pk, "email": contact.email}
    )
    assert dup.status_code == 409 and dup.json()["details"]["errors"][0]["field"] == "email"
    second_primary = call(
        client, "patch", f"/api/v1/contacts/{contact.pk}/", token, {"is_primary": True}
    )
    assert second_primary.status_code == 409
    assert Contact.objects.filter(account=account, is_primary=True).count() == 1


def test_contact_writes_refused_outside_scope_and_for_bad_input(
    client, staff, portfolio, make_token
):
    before = Contact.objects.count()
    csm = make_token(staff["csm1"])
    other = portfolio["other_csm"]
    resp = call(client, "post", "/api/v1/contacts/", csm, {"account": other.pk, "email": "a@b.co"})
    assert resp.status_code == 400 and resp.json()["details"]["errors"][0]["field"] == "account"
    foreign = Contact.objects.get(account=other)
    resp = call(client, "patch", f"/api/v1/contacts/{foreign.pk}/", csm, {"title": "x"})
    assert resp.status_code == 404
    resp = call(
        client,
        "post",
        "/api/v1/contacts/",
        csm,
        {"account": portfolio["healthy"].pk, "email": "bad", "role": "king", "shoe": 1},
    )
    assert resp.status_code == 400 and resp.json()["details"]["errors"][0]["field"] == "shoe"
    resp = call(
        client,
        "post",
        "/api/v1/contacts/",
        csm,
        {"account": portfolio["healthy"].pk, "email": "bad", "role": "king"},
    )
    assert {e["field"] for e in resp.json()["details"]["errors"]} == {"email", "role"}
    viewer = make_token(staff["viewer"])
    body = {"account": portfolio["healthy"].pk, "email": "v@example.com"}
    assert call(client, "post", "/api/v1/contacts/", viewer, body).status_code == 403
    assert Contact.objects.count() == before
    assert Contact.objects.get(pk=foreign.pk).title == ""


def test_survey_response_create_and_correct(client, staff, portfolio, make_token):
    token = make_token(staff["csm1"])
    account = portfolio["healthy"]
    survey = Survey.objects.get(key="nps")
    answered = (clock.now() - timedelta(hours=1)).isoformat()
    body = {"account": account.pk, "survey": survey.pk, "score": 11, "responded_at": answered}
    resp = call(client, "post", "/api/v1/survey-responses/", token, body)
    assert resp.status_code == 400 and resp.json()["details"]["errors"][0]["field"] == "score"
    body.update(score=7, comment="fine", external_id="typeform-1")
    resp = call(client, "post", "/api/v1/survey-responses/", token, body)
    assert resp.status_code == 201, resp.content
    created = SurveyResponse.objects.get(pk=resp.json()["id"])
    assert (created.kind, created.score, created.survey_id) == ("nps", 7, survey.pk)
    assert resp.json()["survey_key"] == "nps"
    assert call(client, "post", "/api/v1/survey-responses/", token, body).status_code == 409
    resp = call(client, "patch", f"/api/v1/survey-responses/{created.pk}/", token, {"score": 9})
    assert resp.status_code == 200 and SurveyResponse.objects.get(pk=created.pk).score == 9
    actions = list(
        AuditEvent.objects.filter(object_id=str(created.pk)).values_list("action", flat=True)
    )
    assert actions == ["survey_response.create", "survey_response.update"]


@pytest.mark.date_sensitive
def test_feedback_create_and_triage(client, staff, portfolio, make_token):
    token = make_token(staff["csm2"])
    account = portfolio["other_csm"]
    resp = call(
        client,
        "post",
        "/api/v1/feedback/",
        token,
        {"account": account.pk, "kind": "feature_request", "text": "SAML please", "sentiment": 2},
    )
    assert resp.status_code == 400 and resp.json()["details"]["errors"][0]["field"] == "sentiment"
    resp = call(
        client,
        "post",
        "/api/v1/feedback/",
        token,
        {"account": account.pk, "kind": "feature_request", "text": "SAML please"},
    )
    assert resp.status_code == 201
    item = Feedback.objects.get(pk=resp.json()["id"])
    assert (item.status, item.text, item.account_id) == ("new", "SAML please", account.pk)
    resp = call(client, "patch", f"/api/v1/feedback/{item.pk}/", token, {"status": "planned"})
    assert resp.status_code == 200 and Feedback.objects.get(pk=item.pk).status == "planned"
    event = AuditEvent.objects.get(action="feedback.update")
    assert event.changes == {"status": "planned"} and event.channel == "rest"
    # csm1 cannot touch it, and a read-only token cannot write at all.
    other = make_token(staff["csm1"])
    assert (
        call(client, "patch", f"/api/v1/feedback/{item.pk}/", other, {"status": "new"}).status_code
        == 404
    )
    reader = make_token(staff["csm2"], scopes=["read"])
    assert (
        call(client, "patch", f"/api/v1/feedback/{item.pk}/", reader, {"status": "new"}).status_code
        == 403
    )
    assert Feedback.objects.get(pk=item.pk).status == "planned"


def test_accounts_are_not_created_here(client, staff, make_token):
    resp = call(client, "post", "/api/v1/accounts/", make_token(staff["manager"]), {"name": "X"})
    assert resp.status_code == 405
    assert not Account.objects.exists()


def test_openapi_schema_lists_resources_and_docs_render(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for resource in RESOURCES:
        assert f"/api/v1/{resource}/" in paths and f"/api/v1/{resource}/{{id}}/" in paths
    assert "post" in paths["/api/v1/usage/bulk/"] and "post" in paths["/api/v1/contacts/bulk/"]
    names = {p["name"] for p in paths["/api/v1/usage/"]["get"]["parameters"]}
    assert names == {"account", "date_from", "date_to", "cursor", "limit"}
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
