"""The account page opens on its 360 (editing one click away), shows what the stored rows
say formatted for people, costs a fixed number of queries, and its actions go through the
tools or services with refusals shown as messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from cs_platform.core import clock
from customers.models import CTA, LifecycleStageChange
from health.models import HealthScore
from integrations.models import EmailMessage, SupportTicket
from portfolio.tests.histories import score_history, sign_in
from tests.builders import build_account

pytestmark = pytest.mark.django_db


def page_url(account, suffix: str = "") -> str:
    return reverse("admin:customers_account_change", args=[account.pk]) + suffix


def act_url(account, action: str) -> str:
    return reverse("admin:customers_account_act", args=[account.pk, action])


def notes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def csm1(client, staff):
    sign_in(client, staff["csm1"])
    return staff["csm1"]


@pytest.mark.date_sensitive
def test_account_page_opens_on_the_360(client, csm1, portfolio):
    declining = portfolio["declining"]
    score_history(declining)
    response = client.get(page_url(declining))
    assert response.status_code == 200
    html = response.content.decode()
    page = response.context["page"]
    latest = HealthScore.objects.get(latest_of__account=declining)
    # Health: one decimal, band, trend chart with the scorecard's thresholds.
    assert f'id="health-score">{latest.score:.1f}<' in html
    assert 'id="health-band">yellow<' in html
    assert "Red &lt; 40" in html and "Green ≥ 70" in html
    # Components with weight and contribution and the date of their data.
    shares = [c for c in page.components if c.label == "Active user share"]
    assert shares and shares[0].input_text == "40%" and shares[0].input_as_of is not None
    assert sum(c.contribution or 0 for c in page.components) == pytest.approx(
        float(latest.computed_score), abs=0.1
    )
    # Why it changed: explain_change's words.
    assert "Active user share fell from 80% to 40%" in html
    assert page.churn is not None and page.churn["factors"]
    assert "in 65 days" in html  # the renewal, relative
    assert "$120,000" in html  # ARR with its symbol
    # Tickets: the breached one says so, the others do not.
    sla = {row["ticket"].priority: row["sla"] for row in page.tickets}
    assert sla["urgent"] == "breached" and sla["normal"] != "breached"
    assert html.count('class="cs-overdue">SLA breached') == 1
    assert 'id="edit-account"' in html and "?edit=1" in html
    assert html.count('class="cs-chart ') == 3
    assert "champ@fixture-002.test" in html
    # The edit form is one click away.
    edit = client.get(page_url(declining, "?edit=1"))
    assert edit.status_code == 200 and 'name="stage_change_reason"' in edit.content.decode()


@pytest.mark.date_sensitive
def test_another_books_account_is_not_shown(client, csm1, portfolio):
    response = client.get(page_url(portfolio["other_csm"]))
    assert response.status_code == 302
    assert portfolio["other_csm"].name not in client.get(response.url).content.decode()
    posted = client.post(act_url(portfolio["other_csm"], "recalculate"))
    assert posted.status_code == 302
    assert not HealthScore.objects.filter(account=portfolio["other_csm"]).exists()


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.date_sensitive
def test_360_queries_do_not_grow_with_history(client, csm1, portfolio, staff):
    small = build_account(staff["csm1"], 40, declining=True, days=10)
    large = build_account(staff["csm1"], 41, declining=True, days=90)
    score_history(small, large)
    for n in range(25):
        SupportTicket.objects.create(
            account=large, subject=f"More {n}", opened_at=clock.now() - timedelta(hours=n)
        )
    for days in range(1, 20):
        from health.services.scoring import health_recompute_accounts

        health_recompute_accounts(account_ids=[large.pk], as_of=clock.now() - timedelta(days=days))
    client.get(page_url(small))  # warm per-process caches
    assert count_queries(client, page_url(small)) == count_queries(client, page_url(large))
    assert count_queries(client, page_url(large)) <= 45


@pytest.mark.date_sensitive
def test_recalculate_health_through_the_tool(client, csm1, portfolio):
    account = portfolio["healthy"]
    response = client.post(act_url(account, "recalculate"), follow=True)
    assert response.status_code == 200
    snapshot = HealthScore.objects.get(latest_of__account=account)
    assert f"Health recalculated: {snapshot.score:.1f}, {snapshot.band}." in notes(response)
    assert AuditEvent.objects.filter(channel="admin", action__contains="calculate_health").exists()


@pytest.mark.date_sensitive
def test_create_and_close_a_cta(client, csm1, portfolio):
    account = portfolio["healthy"]
    due = (clock.today() + timedelta(days=3)).isoformat()
    response = client.post(
        act_url(account, "cta-create"),
        {"title": "Plan the QBR", "reason": "renewal", "priority": "high", "due_date": due},
        follow=True,
    )
    assert "CTA created: Plan the QBR." in notes(response)
    cta = CTA.objects.get(account=account, title="Plan the QBR")
    assert cta.owner == csm1 and cta.priority == "high" and cta.status == "open"
    assert "Plan the QBR" in response.content.decode()
    # The same reason again: one open CTA per reason, refused as a message.
    again = client.post(
        act_url(account, "cta-create"),
        {"title": "Twice", "reason": "renewal", "priority": "high"},
        follow=True,
    )
    assert again.status_code == 200 and not CTA.objects.filter(title="Twice").exists()
    assert any("renewal" in n.lower() or "open" in n.lower() for n in notes(again))
    closed = client.post(act_url(account, "cta-close"), {"cta_id": cta.pk}, follow=True)
    assert "CTA closed: Plan the QBR." in notes(closed)
    cta.refresh_from_db()
    assert cta.status != "open" and cta.closed_at is not None


@pytest.mark.date_sensitive
def test_stage_move_needs_a_reason(client, csm1, portfolio):
    account = portfolio["declining"]
    refused = client.post(act_url(account, "stage"), {"to_stage": "at_risk"}, follow=True)
    assert refused.status_code == 200
    assert any("reason" in n for n in notes(refused))
    assert not LifecycleStageChange.objects.filter(account=account, to_stage="at_risk").exists()
    moved = client.post(
        act_url(account, "stage"),
        {"to_stage": "at_risk", "reason": "Sponsor left; usage halved"},
        follow=True,
    )
    assert "Lifecycle stage moved to at_risk." in notes(moved)
    account.refresh_from_db()
    assert account.lifecycle_stage == "at_risk"
    change = LifecycleStageChange.objects.get(account=account, to_stage="at_risk")
    assert change.reason == "Sponsor left; usage halved"


@pytest.mark.date_sensitive
def test_hostile_action_input_is_a_message_not_a_500(client, csm1, portfolio):
    account = portfolio["healthy"]
    for action, data in [
        ("cta-create", {"title": "x\x00", "reason": "manual", "priority": "high"}),
        ("cta-create", {"title": "Ok", "reason": "nonsense", "priority": "high"}),
        ("cta-close", {"cta_id": "-1"}),
        ("stage", {"to_stage": "x" * 5000, "reason": "why"}),
        ("retention", {"campaign_name": "", "due_in_days": "soon"}),
        ("no-such-action", {}),
    ]:
        response = client.post(act_url(account, action), data, follow=True)
        assert response.status_code == 200, action
        assert notes(response), action
    assert client.get(act_url(account, "recalculate")).status_code == 405


@pytest.mark.date_sensitive
def test_email_preview_then_send(client, csm1, portfolio, sendgrid_connection):
    account = portfolio["healthy"]
    contact = account.contacts.get()
    contact.first_name = "Ada"
    contact.save(update_fields=["first_name"])
    form = {
        "contact_id": contact.pk,
        "category": "service",
        "subject": "{{account_name}} check-in",
        "body": "Hi {{first_name}},\nshall we meet? {{csm_name}}",
    }
    preview = client.post(reverse("admin:customers_account_email_preview", args=[account.pk]), form)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Fixture 001 check-in" in html and "Hi Ada," in html and "Grace Hopper" in html
    assert not EmailMessage.objects.exists()  # a preview stores nothing
    key = preview.context["idempotency_key"]
    unconfirmed = client.post(act_url(account, "email-send"), form, follow=True)
    assert not EmailMessage.objects.exists()
    assert any("confirm" in n for n in notes(unconfirmed))
    sent = client.post(
        act_url(account, "email-send"),
        {**form, "confirmed": "yes", "idempotency_key": key},
        follow=True,
    )
    message = EmailMessage.objects.get()
    assert message.subject == "Fixture 001 check-in" and message.to_email == contact.email
    assert any("queued" in n for n in notes(sent))


@pytest.mark.date_sensitive
def test_email_with_an_unfillable_placeholder_is_refused(client, csm1, portfolio):
    account = portfolio["healthy"]
    contact = account.contacts.get()
    response = client.post(
        reverse("admin:customers_account_email_preview", args=[account.pk]),
        {"contact_id": contact.pk, "category": "service", "subject": "Hi", "body": "{{nope}}"},
        follow=True,
    )
    assert response.status_code == 200
    assert any("nope" in n for n in notes(response))


@pytest.mark.date_sensitive
def test_retention_campaign_for_the_account(client, staff, portfolio):
    sign_in(client, staff["manager"])
    account = portfolio["declining"]
    response = client.post(
        act_url(account, "retention"),
        {
            "campaign_name": "Save Fixture 002",
            "cta_title": "Call the sponsor",
            "cta_priority": "high",
            "due_in_days": "5",
        },
        follow=True,
    )
    assert any("Save Fixture 002" in n for n in notes(response)), notes(response)
    assert CTA.objects.filter(account=account, title="Call the sponsor").exists()


@pytest.mark.date_sensitive
def test_a_viewer_sees_the_360_without_actions(client, staff, portfolio):
    sign_in(client, staff["viewer"])
    account = portfolio["healthy"]
    html = client.get(page_url(account)).content.decode()
    assert 'id="actions"' not in html and 'id="edit-account"' not in html
    response = client.post(act_url(account, "recalculate"), follow=True)
    assert any("not act" in n for n in notes(response))
    assert not HealthScore.objects.filter(account=account).exists()
