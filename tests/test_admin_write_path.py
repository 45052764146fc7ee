"""The admin writes through the services the tools use: each rule below lives only in a
service, so each test fails if the admin path stops calling it (falls back to a plain
save, or to a generic record service)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.errors import InvalidInput
from cs_platform.core.models import Role
from customers.models import Contact, Contract, Escalation, LifecycleStageChange
from customers.services.records import CONTRACT_RECORD
from health.models import Scorecard, Segment
from integrations.models import Connection, KnowledgeArticle
from tests.admin_forms import form_data, last_id, new_events, url
from tests.factories import (
    AccountFactory,
    ContactFactory,
    CtaFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    return Connection.objects.create(
        provider="zendesk",
        name="Desk",
        base_url="https://desk.example.test",
        credentials={"api_token": "zd-token", "email": "ops@desk.test"},
    )


def refused(response, field: str | None = None) -> str:
    """The error text the re-rendered form shows (on `field`, or above the form)."""
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    errors = form.errors.get(field, []) if field else form.non_field_errors()
    return " ".join(str(e) for e in errors)


# --- connections: connection_create / connection_update ---------------------------------


def test_a_connection_url_the_service_refuses_is_refused_in_the_admin(client, root, desk):
    path = url("integrations_connection_change", desk.pk)
    data = form_data(client.get(path))
    mark = last_id()

    # A URL Django's form accepts (ftp) but the provider clients cannot call.
    response = client.post(path, {**data, "base_url": "ftp://desk.example.test"})

    assert refused(response, "base_url") == "must be an http(s) URL"
    desk.refresh_from_db()
    assert desk.base_url == "https://desk.example.test" and new_events(mark) == []


def test_connection_credentials_are_checked_per_provider_in_the_admin(client, root, desk):
    path = url("integrations_connection_change", desk.pk)
    data = form_data(client.get(path))

    response = client.post(path, {**data, "new_credentials": '{"token": "x"}'})

    message = refused(response)
    assert "credentials.api_token: Zendesk API token is required" in message
    assert "credentials.token: unknown credential" in message
    desk.refresh_from_db()
    assert desk.credentials == {"api_token": "zd-token", "email": "ops@desk.test"}


def test_a_new_connection_is_created_by_the_service(client, root):
    response = client.post(
        url("integrations_connection_add"),
        {
            "provider": "sendgrid",
            "name": "Mail",
            "base_url": "https://mail.example.test/",
            "enabled": "on",
            "sync_interval_minutes": "15",
            "settings": "{}",
            "new_credentials": '{"api_key": "sg-key"}',
            "new_webhook_secret": "",
        },
    )
    assert response.status_code == 302
    created = Connection.objects.get(name="Mail")
    # connection_create normalises the URL and stores the validated credentials.
    assert created.base_url == "https://mail.example.test"
    assert created.credentials == {"api_key": "sg-key"}
    [event] = new_events(0)[-1:]
    assert event.action == "integrations.connection_created" and event.actor_id == root.pk


# --- contacts: contact_update refuses an erased contact ---------------------------------


def test_an_erased_contact_cannot_be_edited_in_the_admin(client, root):
    contact = ContactFactory(
        account=AccountFactory(owner=root),
        first_name="",
        last_name="",
        email="erased-7@invalid.test",
        erased_at=clock.now(),
    )
    path = url("customers_contact_change", contact.pk)
    data = form_data(client.get(path))
    mark = last_id()

    response = client.post(path, {**data, "title": "CTO"})

    assert "erased under GDPR" in refused(response)
    contact.refresh_from_db()
    assert contact.title == "" and new_events(mark) == []


# --- CTAs: closed_at follows the status (customers.services.ctas) ------------------------


def test_closing_a_cta_in_the_admin_stamps_closed_at_and_reopening_clears_it(client, root):
    cta = CtaFactory(account=AccountFactory(owner=root), reason="renewal")
    path = url("customers_cta_change", cta.pk)
    mark = last_id()

    assert client.post(path, {**form_data(client.get(path)), "status": "done"}).status_code == 302
    cta.refresh_from_db()
    assert cta.status == "done" and cta.closed_at is not None
    [event] = new_events(mark)
    assert event.action == "cta.update" and event.changes["diff"]["closed_at"]["before"] is None

    assert client.post(path, {**form_data(client.get(path)), "status": "open"}).status_code == 302
    cta.refresh_from_db()
    assert cta.status == "open" and cta.closed_at is None


def test_closing_a_cta_from_the_account_page_goes_through_the_same_rule(client, root):
    account = AccountFactory(owner=root)
    cta = CtaFactory(account=account, reason="usage_drop", owner=root)
    path = url("customers_account_change", account.pk)
    data = form_data(client.get(path + "?edit=1"))  # the form; a plain GET opens the 360
    data.update(
        {
            "ctas-TOTAL_FORMS": "1",
            "ctas-INITIAL_FORMS": "1",
            "ctas-0-id": str(cta.pk),
            "ctas-0-account": str(account.pk),
            "ctas-0-title": cta.title,
            "ctas-0-reason": cta.reason,
            "ctas-0-priority": cta.priority,
            "ctas-0-status": "dismissed",
            "ctas-0-owner": str(root.pk),
            "ctas-0-due_date": "",
            "ctas-0-escalation_level": "0",
            "ctas-0-source": cta.source,
        }
    )
    mark = last_id()

    assert client.post(path, data).status_code == 302

    cta.refresh_from_db()
    assert cta.status == "dismissed" and cta.closed_at is not None
    [event] = new_events(mark)
    assert event.action == "cta.update" and event.account_id == account.pk


# --- knowledge base: every saved wording is a version ------------------------------------


def test_saving_an_article_in_the_admin_records_a_version(client, root):
    add = url("integrations_knowledgearticle_add")
    data = form_data(client.get(add))
    response = client.post(
        add, {**data, "slug": "reset-sso", "title": "Reset SSO", "body": "Step 1", "tags": "[]"}
    )
    assert response.status_code == 302
    article = KnowledgeArticle.objects.get(slug="reset-sso")
    assert [(v.version, v.title, v.author) for v in article.versions.all()] == [
        (1, "Reset SSO", root)
    ]

    path = url("integrations_knowledgearticle_change", article.pk)
    data = form_data(client.get(path))
    assert client.post(path, {**data, "body": "Step 1, then 2"}).status_code == 302
    assert client.post(path, {**data, "body": "Step 1, then 2", "status": "published"})
    article.refresh_from_db()
    assert article.version == 2 and article.status == "published"
    assert [v.body for v in article.versions.order_by("version")] == ["Step 1", "Step 1, then 2"]


# --- accounts: stage moves through account_stage_move -------------------------------------


@pytest.mark.date_sensitive
def test_a_stage_move_in_the_admin_goes_through_the_lifecycle_service(client, root):
    account = AccountFactory(owner=root, lifecycle_stage="at_risk", status="active")
    path = url("customers_account_change", account.pk)
    data = form_data(client.get(path + "?edit=1"))  # the form; a plain GET opens the 360

    response = client.post(
        path, {**data, "lifecycle_stage": "churned", "stage_change_reason": "Lost to a rival"}
    )

    assert response.status_code == 302
    account.refresh_from_db()
    # Only the lifecycle service marks a churned account churned (the form sent "active").
    assert account.status == "churned" and account.churned_on == clock.today()
    change = LifecycleStageChange.objects.get(account=account)
    assert (change.from_stage, change.to_stage, change.changed_by) == ("at_risk", "churned", root)


def test_a_new_account_starts_its_stage_history_through_the_service(client, root):
    data = form_data(client.get(url("customers_account_add")))
    response = client.post(
        url("customers_account_add"),
        {**data, "name": "Newco", "stage_change_reason": "Signed at the summit"},
    )
    assert response.status_code == 302
    change = LifecycleStageChange.objects.get(account__name="Newco")
    assert (change.from_stage, change.reason) == ("", "Signed at the summit")


# --- escalations: the SLA deadline comes from the severity --------------------------------


def test_an_escalation_opened_in_the_admin_gets_its_severitys_sla(client, root, travel):
    travel(clock.now().replace(microsecond=0), freeze=True)
    account = AccountFactory(owner=root)
    response = client.post(
        url("customers_escalation_add"),
        {"account": str(account.pk), "severity": "urgent", "summary": "Production down"},
    )
    assert response.status_code == 302
    escalation = Escalation.objects.get(account=account)
    assert escalation.opened_at == clock.now()
    assert escalation.sla_due_at == clock.now() + timedelta(hours=4)


# --- scorecards and segments: their rule languages are checked by the services ------------


def test_an_invalid_scorecard_definition_is_refused_with_the_librarys_message(client, root):
    response = client.post(
        url("health_scorecard_add"),
        {"key": "trial", "version": "1", "name": "Trial", "definition": '{"groups": []}'},
    )
    assert "at least one group is required" in refused(response, "definition")
    assert not Scorecard.objects.filter(key="trial").exists()


def test_segment_rules_are_validated_by_the_segment_service(client, root):
    response = client.post(
        url("health_segment_add"),
        {
            "name": "Odd",
            "key": "odd",
            "description": "",
            "rules": '{"match": "all", "conditions": [{"field": "shoe_size", "op": "gt"}]}',
            "is_active": "on",
        },
    )
    assert "conditions.0.field: must be one of tier" in refused(response)
    assert not Segment.objects.filter(key="odd").exists()


# --- scope: a service refuses rows outside the caller's book ------------------------------


def test_record_services_keep_a_csm_in_their_book():
    csm = UserFactory(username="csm-scope", role=Role.CSM)
    theirs = AccountFactory()
    actor = actor_for_user(csm, channel="admin")
    fields = {
        "account_id": theirs.pk,
        "name": "Sneaky",
        "start_date": clock.today(),
        "end_date": clock.today() + timedelta(days=30),
        "arr": 1,
    }
    with pytest.raises(InvalidInput) as err:
        CONTRACT_RECORD.writes().create(actor=actor, fields=fields)
    assert err.value.details["errors"][0]["type"] == "not_found"
    assert not Contract.objects.filter(name="Sneaky").exists()


def test_contacts_added_in_the_admin_are_written_by_contact_create(client, root):
    account = AccountFactory(owner=root)
    response = client.post(
        url("customers_contact_add"),
        {"account": str(account.pk), "email": " Mixed@Case.TEST ", "role": "user"},
    )
    assert response.status_code == 302
    # contact_create lower-cases and trims the address; Django's form would not.
    assert Contact.objects.get(account=account).email == "mixed@case.test"
