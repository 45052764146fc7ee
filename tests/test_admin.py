"""The admin as a CSM uses it: pages render, query counts do not grow with rows, a CSM sees
only their own book, viewers only look, and secrets never reach a page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.admin.paginators import CappedCountPaginator
from cs_platform.core.models import ApiToken, Role
from cs_platform.core.tokens import api_token_create
from customers.models import Account
from health.models import ChurnCalibration, Feature, MonitorConfig, Survey, SurveyResponse
from integrations.models import Connection, SyncRun, TicketComment
from tests.factories import (
    AccountFactory,
    ContactFactory,
    ContractFactory,
    CtaFactory,
    HealthScoreFactory,
    RenewalFactory,
    SupportTicketFactory,
    UsageDailyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
# Only tests whose assertions can change with the date are `date_sensitive` (the rule:
# pyproject.toml). The permission matrix, the scope tests and the query counts load pages
# that show days to renewal (arithmetic: no query, no branch) and assert nothing dated, so
# they are not, though scripts/clock_probe.py sees them take a date.

SECRET_TOKEN = "zd-api-token-7f3a9c"  # noqa: S105 (test value that must never be rendered)
SECRET_HOOK = "whsec-41b2e8"  # noqa: S105


def url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def count_queries(client, path: str):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(ctx.captured_queries), response


@pytest.fixture
def zendesk():
    return Connection.objects.create(
        provider="zendesk",
        name="Main desk",
        base_url="https://desk.example.test",
        credentials={"api_token": SECRET_TOKEN, "email": "ops@example.test"},
        webhook_secret=SECRET_HOOK,
    )


def account_with_signals(owner, number: int, *, band: str = "green") -> Account:
    """An account with a latest health snapshot, a renewal in 65 days and an open CTA."""
    account = AccountFactory(name=f"Acme {number:03d}", owner=owner)
    HealthScoreFactory(account=account, band=band, score=Decimal("72.5"))
    RenewalFactory(account=account, renewal_date=clock.today() + timedelta(days=65))
    CtaFactory(account=account, reason="renewal")
    ContactFactory(account=account, email=f"champion@acme-{number:03d}.test")
    return account


# --- query counts do not grow with rows -----------------------------------------------


def test_account_changelist_queries_equal_at_3_and_30_rows(client, root):
    owners = [UserFactory(username=f"csm{i}") for i in range(3)]
    for n in range(3):
        account_with_signals(owners[n % 3], n)
    path = url("customers_account_changelist")
    client.get(path)  # warm per-process caches (content types, templates)
    small, response = count_queries(client, path)
    body = response.content.decode()
    assert "Acme 000" in body and "72.5" in body and "USD" in body
    account = response.context["cl"].result_list[0]
    assert account.health_band == "green"
    assert account.open_cta_count == 1
    assert (account.next_renewal_date - clock.today()).days == 65
    for n in range(3, 30):
        account_with_signals(owners[n % 3], n, band="red" if n % 2 else "yellow")
    large, response = count_queries(client, path)
    assert len(response.context["cl"].result_list) == 30
    assert small == large


def test_ticket_changelist_queries_equal_at_3_and_30_rows(client, root, zendesk):
    accounts = [AccountFactory() for _ in range(3)]

    def tickets(start: int, stop: int) -> None:
        for n in range(start, stop):
            SupportTicketFactory(
                account=accounts[n % 3], connection=zendesk, external_id=str(1000 + n)
            )

    tickets(0, 3)
    path = url("integrations_supportticket_changelist")
    client.get(path)
    small, response = count_queries(client, path)
    body = response.content.decode()
    assert "45m" in body  # first response 45 minutes after opening, computed per row
    assert "Main desk" in body and SECRET_TOKEN not in body
    tickets(3, 30)
    large, response = count_queries(client, path)
    assert len(response.context["cl"].result_list) == 30
    assert small == large


def test_usage_changelist_queries_equal_at_3_and_30_rows(client, root):
    accounts = [AccountFactory() for _ in range(3)]
    for account in accounts:
        UsageDailyFactory(account=account, date=clock.today())
    path = url("health_usagedaily_changelist")
    client.get(path)
    small, response = count_queries(client, path)
    assert accounts[0].name in response.content.decode()
    for account in accounts:
        for back in range(1, 10):
            UsageDailyFactory(account=account, date=clock.today() - timedelta(days=back))
    large, response = count_queries(client, path)
    assert len(response.context["cl"].result_list) == 30
    assert small == large
    # No exact total is counted over the table.
    assert response.context["cl"].full_result_count is None


def test_account_change_page_queries_equal_at_3_and_30_related_rows(client, root, zendesk):
    account = AccountFactory(name="Globex")
    HealthScoreFactory(account=account, band="yellow", score=Decimal("55.0"))

    def related(start: int, stop: int) -> None:
        for n in range(start, stop):
            ContactFactory(account=account)
            contract = ContractFactory(account=account)
            RenewalFactory(account=account, contract=contract, owner=root)
            SupportTicketFactory(account=account, connection=zendesk, external_id=f"g{n}")
            CtaFactory(account=account, owner=root, status="done")

    related(0, 3)
    path = url("customers_account_change", account.pk) + "?edit=1"  # the form, not the 360
    client.get(path)
    small, response = count_queries(client, path)
    body = response.content.decode()
    assert "55.0" in body and "Ticket" in body
    assert SECRET_TOKEN not in body and SECRET_HOOK not in body
    related(3, 30)
    large, response = count_queries(client, path)
    formsets = {
        f.formset.model._meta.model_name: f.formset
        for f in response.context["inline_admin_formsets"]
    }
    assert len(formsets["contact"].forms) == 30
    assert len(formsets["supportticket"].forms) == 20  # capped: the rest is one link away
    assert small == large


# --- every admin renders ----------------------------------------------------------------


def populate_every_table(owner, zendesk) -> None:
    account = account_with_signals(owner, 1)
    contact = account.contacts.first()
    ticket = SupportTicketFactory(account=account, connection=zendesk, external_id="77")
    TicketComment.objects.create(
        ticket=ticket, author="agent", body="Looking", created_at=clock.now()
    )
    UsageDailyFactory(account=account)
    survey = Survey.objects.create(key="nps", name="NPS", kind="nps", question="Recommend?")
    SurveyResponse.objects.create(
        survey=survey,
        kind="nps",
        account=account,
        contact=contact,
        score=9,
        responded_at=clock.now(),
    )
    Feature.objects.create(key="reports", name="Reports")
    MonitorConfig.objects.create(key="churn_risk_monitor")
    ChurnCalibration.objects.create(
        model_version="churn-logit-v2", version=1, status="calibrated", slope=0.9,
        intercept=2.5, outcomes=82, churned=30, horizon_days=90, fitted_at=clock.now(),
    )  # fmt: skip
    SyncRun.objects.create(
        connection=zendesk, stream="tickets", status="succeeded", started_at=clock.now()
    )
    api_token_create(username=owner.username, scopes=["read"])


@pytest.mark.date_sensitive
def test_every_registered_admin_changelist_add_and_change_page(client, root, zendesk):
    populate_every_table(root, zendesk)
    request = RequestFactory().get("/admin/")
    request.user = root
    checked = 0
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        assert client.get(url(f"{prefix}_changelist")).status_code == 200, prefix
        add_status = client.get(url(f"{prefix}_add")).status_code
        assert add_status == (200 if model_admin.has_add_permission(request) else 403), prefix
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            response = client.get(url(f"{prefix}_change", first.pk))
            assert response.status_code == 200, prefix
        checked += 1
    assert checked >= 50


# --- scope and roles ----------------------------------------------------------------------


def test_csm_sees_only_own_book(client):
    csm1 = UserFactory(username="csm-one", role=Role.CSM)
    csm2 = UserFactory(username="csm-two", role=Role.CSM)
    mine = account_with_signals(csm1, 1)
    theirs = account_with_signals(csm2, 2)
    SupportTicketFactory(account=mine, subject="Mine broke")
    SupportTicketFactory(account=theirs, subject="Theirs broke")
    client.force_login(csm1)

    body = client.get(url("customers_account_changelist")).content.decode()
    assert mine.name in body and theirs.name not in body
    tickets = client.get(url("integrations_supportticket_changelist")).content.decode()
    assert "Mine broke" in tickets and "Theirs broke" not in tickets

    assert client.get(url("customers_account_change", mine.pk)).status_code == 200
    assert client.get(url("customers_account_change", theirs.pk)).status_code in (302, 404)
    theirs_ticket = theirs.tickets.get()
    status = client.get(url("integrations_supportticket_change", theirs_ticket.pk)).status_code
    assert status in (302, 404)
    # The account picker (autocomplete) offers only the CSM's accounts.
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "customers",
            "model_name": "contact",
            "field_name": "account",
            "term": "Acme",
        },
    ).json()
    assert [r["text"] for r in found["results"]] == [mine.name]


def test_csm_cannot_reassign_owner_and_new_accounts_land_in_own_book(client):
    csm = UserFactory(username="csm-owner", role=Role.CSM)
    client.force_login(csm)
    response = client.get(url("customers_account_add"))
    assert "owner" not in response.context["adminform"].form.fields
    assert (
        client.get(url("customers_account_delete", AccountFactory(owner=csm).pk)).status_code == 403
    )


def test_viewer_can_look_but_not_touch(client):
    viewer = UserFactory(username="viewer-1", role=Role.VIEWER)
    account = account_with_signals(UserFactory(), 1)
    client.force_login(viewer)
    assert client.get(url("customers_account_changelist")).status_code == 200
    page = client.get(url("customers_account_change", account.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get(url("customers_account_add")).status_code == 403
    post = client.post(url("customers_account_change", account.pk), {"name": "Hacked"})
    assert post.status_code == 403
    account.refresh_from_db()
    assert account.name == "Acme 001"


# --- filters and search --------------------------------------------------------------------


@pytest.mark.date_sensitive
def test_health_band_and_contact_email_search(client, root):
    red = account_with_signals(root, 1, band="red")
    green = account_with_signals(root, 2, band="green")
    never_scored = AccountFactory(name="Unscored Ltd", owner=root)
    path = url("customers_account_changelist")

    names = {a.name for a in client.get(path, {"health_band": "red"}).context["cl"].result_list}
    assert names == {red.name}
    unknown = client.get(path, {"health_band": "unknown"}).context["cl"].result_list
    assert {a.name for a in unknown} == {never_scored.name}
    found = client.get(path, {"q": "champion@acme-002.test"}).context["cl"].result_list
    assert [a.name for a in found] == [green.name]


def test_usage_count_is_capped_and_said_so(client, root, monkeypatch):
    account = AccountFactory()
    for back in range(5):
        UsageDailyFactory(account=account, date=clock.today() - timedelta(days=back))
    monkeypatch.setattr(CappedCountPaginator, "count_cap", 3)
    body = client.get(url("health_usagedaily_changelist")).content.decode()
    assert "More than 3" in body


# --- secrets and read-only records -----------------------------------------------------------


def test_connection_page_never_shows_secrets_and_empty_input_keeps_them(client, root, zendesk):
    page = client.get(url("integrations_connection_change", zendesk.pk)).content.decode()
    assert SECRET_TOKEN not in page and SECRET_HOOK not in page
    assert "api_token, email" in page  # which keys are set, never their values
    data = {
        "provider": "zendesk",
        "name": "Main desk",
        "base_url": "https://desk.example.test",
        "enabled": "on",
        "sync_interval_minutes": "30",
        "settings": "{}",
        "cursors": "{}",
        "new_credentials": "",
        "new_webhook_secret": "",
    }
    response = client.post(url("integrations_connection_change", zendesk.pk), data)
    assert response.status_code == 302
    zendesk.refresh_from_db()
    assert zendesk.sync_interval_minutes == 30
    assert (
        zendesk.credentials["api_token"] == SECRET_TOKEN and zendesk.webhook_secret == SECRET_HOOK
    )

    bad = client.post(
        url("integrations_connection_change", zendesk.pk), {**data, "new_credentials": "[1]"}
    )
    assert bad.status_code == 200 and "new_credentials" in bad.context["adminform"].form.errors


def test_api_token_admin_hides_hash_forbids_add_and_revokes(client, root):
    token, secret = api_token_create(username=root.username, scopes=["read", "write"])
    page = client.get(url("core_apitoken_change", token.pk)).content.decode()
    assert token.key_hash not in page and secret not in page and token.prefix in page
    assert client.get(url("core_apitoken_add")).status_code == 403
    response = client.post(
        url("core_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert event.object_id == str(token.pk) and event.actor_label == "user:root"


def test_health_snapshots_and_audit_events_are_read_only(client, root):
    snapshot = HealthScoreFactory(account=AccountFactory())
    assert client.get(url("health_healthscore_add")).status_code == 403
    post = client.post(url("health_healthscore_change", snapshot.pk), {"score": "1.0"})
    assert post.status_code == 403
    assert client.get(url("health_healthscore_delete", snapshot.pk)).status_code == 403
    event = AuditEvent.objects.order_by("-id").first()  # the login of `root`
    assert event is not None
    assert client.get(url("audit_auditevent_add")).status_code == 403
    assert client.get(url("audit_auditevent_delete", event.pk)).status_code == 403
    assert client.post(url("audit_auditevent_change", event.pk), {}).status_code == 403


@pytest.mark.parametrize("role", [Role.CSM, Role.VIEWER, Role.MANAGER])
def test_every_admin_answers_each_role_by_its_permissions(client, role, zendesk):
    user = UserFactory(username=f"walker-{role}", role=role)
    populate_every_table(user, zendesk)
    client.force_login(user)
    request = RequestFactory().get("/admin/")
    request.user = user
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        may_view = model_admin.has_view_permission(request)
        assert client.get(url(f"{prefix}_changelist")).status_code == (200 if may_view else 403)
        may_add = model_admin.has_add_permission(request)
        assert client.get(url(f"{prefix}_add")).status_code == (200 if may_add else 403), prefix
        if role == Role.VIEWER:
            assert not may_add and not model_admin.has_change_permission(request), prefix
            assert not model_admin.has_delete_permission(request), prefix
    assert client.get(url("index")).status_code == 200
