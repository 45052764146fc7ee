"""The admin screens of onboarding, training, the support desk, product insights and a
person's own OAuth grants: each lists and opens only what the user may see (a CSM's book,
by the one scoping rule), and each write goes through its service (validated, audited),
never a plain save. The crawl in tests/test_admin_scope.py covers their pages too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib import admin
from oauth2_provider.models import AccessToken, Application, RefreshToken

from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.errors import PermissionDenied
from cs_platform.core.oauth.services import oauth_token_revoke
from customers.models import (
    OnboardingMilestone,
    OnboardingPlan,
    OnboardingReminder,
    OnboardingTemplate,
    TrainingAttendance,
    TrainingModule,
    TrainingSession,
)
from health.models import Feedback, ProductInsight
from integrations.models import (
    CustomerPortalSettings,
    KnowledgeArticle,
    KnowledgeArticleVote,
    SlaPolicy,
    TicketRoutingRule,
)
from portfolio.tests.histories import sign_in
from tests.admin_forms import form_data, last_id, new_events, url
from tests.factories import ContactFactory

pytestmark = [pytest.mark.django_db]

NEW_SCREENS = (
    OnboardingTemplate,
    OnboardingReminder,
    TrainingSession,
    TrainingAttendance,
    SlaPolicy,
    TicketRoutingRule,
    KnowledgeArticleVote,
    CustomerPortalSettings,
    ProductInsight,
    AccessToken,
)


@pytest.fixture
def training(portfolio):
    """A session on each CSM's account (csm1's "healthy", csm2's "other_csm")."""
    module = TrainingModule.objects.create(key="basics", title="Basics")
    sessions = {}
    for name in ("healthy", "other_csm"):
        account = portfolio[name]
        session = TrainingSession.objects.create(
            module=module, account=account, scheduled_at=clock.now() + timedelta(days=3)
        )
        TrainingAttendance.objects.create(
            session=session, contact=ContactFactory(account=account, email=f"{name}@t.test")
        )
        plan = OnboardingPlan.objects.create(account=account, template="standard")
        milestone = OnboardingMilestone.objects.create(plan=plan, key="kickoff", name="Kickoff")
        OnboardingReminder.objects.create(
            milestone=milestone, kind="due_soon", window=clock.today(), sent_at=clock.now()
        )
        CustomerPortalSettings.objects.create(account=account, subdomain=name.replace("_", "-"))
        sessions[name] = session
    return sessions


def test_every_new_screen_is_registered_and_declares_its_scope_or_roles():
    for model in NEW_SCREENS:
        model_admin = admin.site._registry[model]
        assert model_admin.read_only or model_admin.writes is not None, model


def test_a_csm_lists_and_opens_only_their_books_rows(client, staff, training):
    sign_in(client, staff["csm1"])
    for name, other in (
        ("customers_trainingsession", training["other_csm"]),
        ("customers_trainingattendance", training["other_csm"].attendance.get()),
        ("customers_onboardingreminder", OnboardingReminder.objects.get(
            milestone__plan__account=training["other_csm"].account)),
        ("integrations_customerportalsettings", training["other_csm"].account.portal_settings),
    ):  # fmt: skip
        listed = client.get(url(f"{name}_changelist")).context["cl"].result_list
        assert len(listed) == 1 and other.pk not in {row.pk for row in listed}, name
        assert client.get(url(f"{name}_change", other.pk)).status_code == 302, name  # not found
        mine = listed[0]
        assert client.get(url(f"{name}_change", mine.pk)).status_code == 200, name


def test_training_sessions_are_cancelled_through_the_service(client, staff, training):
    sign_in(client, staff["csm1"])
    mine, theirs = training["healthy"], training["other_csm"]
    mark = last_id()
    response = client.post(
        url("customers_trainingsession_changelist"),
        {"action": "cancel_sessions", "_selected_action": [mine.pk, theirs.pk]},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == ("cancelled", "scheduled")
    assert [(e.action, e.object_id) for e in new_events(mark)] == [
        ("training_session.update", str(mine.pk))
    ]
    # A delivered session is refused by the service, shown as a message, nothing written.
    TrainingSession.objects.filter(pk=mine.pk).update(status="delivered")
    mark = last_id()
    response = client.post(
        url("customers_trainingsession_changelist"),
        {"action": "cancel_sessions", "_selected_action": [mine.pk]},
        follow=True,
    )
    notes = [str(m) for m in response.context["messages"]]
    assert any("a delivered session cannot be cancelled" in n for n in notes), notes
    assert new_events(mark) == []


def test_sla_policies_are_read_by_csms_and_written_by_managers(client, staff):
    sign_in(client, staff["csm1"])
    assert client.get(url("integrations_slapolicy_changelist")).status_code == 200
    assert client.get(url("integrations_slapolicy_add")).status_code == 403
    sign_in(client, staff["manager"])
    mark = last_id()
    data = {"priority": "urgent", "first_response_minutes": "5", "resolution_minutes": "2"}
    response = client.post(url("integrations_slapolicy_add"), data)
    assert response.status_code == 200 and not SlaPolicy.objects.exists()  # out of order
    response = client.post(url("integrations_slapolicy_add"), {**data, "resolution_minutes": "60"})
    assert response.status_code == 302
    policy = SlaPolicy.objects.get()
    assert (policy.first_response_minutes, policy.resolution_minutes) == (5, 60)
    assert [e.action for e in new_events(mark)] == ["sla_policy.create"]


def test_portal_settings_are_added_for_the_csms_own_accounts_only(client, staff, portfolio):
    sign_in(client, staff["csm1"])
    add = url("integrations_customerportalsettings_add")
    data = {**form_data(client.get(add)), "enabled": "on", "subdomain": "acme-portal"}
    response = client.post(add, {**data, "account": portfolio["other_csm"].pk})
    assert response.status_code == 200 and not CustomerPortalSettings.objects.exists()
    mark = last_id()
    data["allowed_email_domains"] = '["@Example.COM"]'
    response = client.post(add, {**data, "account": portfolio["healthy"].pk})
    assert response.status_code == 302, response.context["adminform"].form.errors
    settings = CustomerPortalSettings.objects.get()
    # The service's cleaning, not the form's: domains lower-cased without the @.
    assert settings.allowed_email_domains == ["example.com"] and settings.enabled
    assert [e.action for e in new_events(mark)] == ["portal_settings.create"]


def test_insights_link_only_feedback_from_the_users_book(client, staff, portfolio):
    mine = Feedback.objects.create(
        account=portfolio["healthy"], kind="idea", text="Exports", created_at=clock.now()
    )
    theirs = Feedback.objects.create(
        account=portfolio["other_csm"], kind="idea", text="Imports", created_at=clock.now()
    )
    sign_in(client, staff["csm1"])
    add = url("health_productinsight_add")
    choices = client.get(add).context["adminform"].form.fields["feedback"].queryset
    assert list(choices) == [mine]
    data = {
        "title": "Exports wanted",
        "summary": "Customers ask for CSV exports",
        "status": "shared",
        "shared_with": "Product",
    }
    response = client.post(add, {**data, "feedback": [theirs.pk]})
    assert response.status_code == 200 and not ProductInsight.objects.exists()
    mark = last_id()
    response = client.post(add, {**data, "feedback": [mine.pk]})
    assert response.status_code == 302
    insight = ProductInsight.objects.get()
    assert list(insight.feedback.all()) == [mine] and insight.created_by == staff["csm1"]
    assert [e.action for e in new_events(mark)] == ["product_insight.create"]
    # Another CSM sees the insight, and none of the feedback behind it as theirs.
    insight.feedback.add(theirs)
    sign_in(client, staff["csm2"])
    page = client.get(url("health_productinsight_change", insight.pk))
    assert page.context["original"].feedback_mine == 1
    assert "Exports" not in page.content.decode().replace("Exports wanted", "")


@pytest.fixture
def grants(staff):
    """An OAuth grant (access + refresh token) for csm1 and one for csm2."""
    app = Application.objects.create(
        name="Claude Desktop",
        client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://127.0.0.1/callback",
    )
    out = {}
    for name in ("csm1", "csm2"):
        access = AccessToken.objects.create(
            user=staff[name],
            application=app,
            token=f"access-{name}",
            expires=clock.now() + timedelta(hours=1),
            scope="read write",
        )
        RefreshToken.objects.create(
            user=staff[name], application=app, token=f"refresh-{name}", access_token=access
        )
        out[name] = access
    return out


def test_staff_see_and_revoke_only_their_own_oauth_tokens(client, staff, grants):
    sign_in(client, staff["csm1"])
    changelist = url("oauth2_provider_accesstoken_changelist")
    response = client.get(changelist)
    assert [t.pk for t in response.context["cl"].result_list] == [grants["csm1"].pk]
    assert "access-csm1" not in response.content.decode()  # the token is never shown
    page = client.get(url("oauth2_provider_accesstoken_change", grants["csm1"].pk))
    assert page.status_code == 200 and "access-csm1" not in page.content.decode()
    assert (
        client.get(url("oauth2_provider_accesstoken_change", grants["csm2"].pk)).status_code == 302
    )

    mark = last_id()
    client.post(
        changelist,
        {"action": "revoke_tokens", "_selected_action": [grants["csm1"].pk, grants["csm2"].pk]},
    )
    assert list(AccessToken.objects.values_list("user__username", flat=True)) == ["csm2"]
    refresh = RefreshToken.objects.get(user=staff["csm1"])
    assert refresh.revoked is not None  # the client cannot refresh its way back in
    assert RefreshToken.objects.get(user=staff["csm2"]).revoked is None
    events = new_events(mark)
    assert [(e.action, e.actor_id) for e in events] == [("oauth.token_revoked", staff["csm1"].pk)]
    assert "refresh-csm1" not in str(events[0].changes) and "access-" not in str(events[0].changes)


def test_the_revoke_service_refuses_someone_elses_token(staff, grants):
    with pytest.raises(PermissionDenied):
        oauth_token_revoke(
            actor=actor_for_user(staff["manager"], channel="admin"), token=grants["csm2"]
        )
    assert AccessToken.objects.filter(pk=grants["csm2"].pk).exists()


def test_votes_are_for_managers_and_nobody_writes_them_here(client, staff):
    article = KnowledgeArticle.objects.create(slug="reset", title="Reset", body="How to")
    KnowledgeArticleVote.objects.create(article=article, voter="contact:7", helpful=True)
    sign_in(client, staff["csm1"])
    assert client.get(url("integrations_knowledgearticlevote_changelist")).status_code == 403
    sign_in(client, staff["manager"])
    assert client.get(url("integrations_knowledgearticlevote_changelist")).status_code == 200
    assert client.get(url("integrations_knowledgearticlevote_add")).status_code == 403
