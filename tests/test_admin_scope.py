"""A CSM signed in to the admin stays in their book: a crawl of every page they can reach
(index, changelists, change and add pages, filters, related lists, raw-id pop-ups and
every autocomplete endpoint) never shows another book's account, contact e-mail or row
id; counts count their book only; cross-book records are for managers."""

from __future__ import annotations

import re
from collections import deque
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.contrib import admin
from django.urls import reverse

from cs_platform.core import clock
from cs_platform.core.admin.base import scope_check
from cs_platform.core.models import IdempotencyRecord, Role
from customers.models import (
    Activity,
    Campaign,
    CampaignEnrollment,
    Escalation,
    ExpansionOpportunity,
    LifecycleStageChange,
    OnboardingMilestone,
    OnboardingPlan,
    OnboardingReminder,
    Program,
    ProgramContribution,
    ProgramMember,
    TrainingAttendance,
    TrainingCompletion,
    TrainingModule,
    TrainingSession,
)
from gdpr.models import ConsentRecord, DataSubjectRequest
from health.admin.campaigns import CampaignEnrollmentInline
from health.models import (
    ChurnPrediction,
    Feature,
    FeatureAdoption,
    Feedback,
    HealthOverride,
    MonitorConfig,
    MonitorRun,
    RiskIndicator,
    Segment,
    SegmentMembership,
    Survey,
    SurveyResponse,
)
from integrations.models import (
    Connection,
    CustomerPortalSettings,
    EmailEvent,
    EmailMessage,
    FeatureUsageDay,
    OutboxMessage,
    SyncRun,
    TicketComment,
    WebhookEvent,
)
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

pytestmark = [pytest.mark.django_db]

ADMIN = "/admin/"


class _Links(HTMLParser):
    """Hrefs and the autocomplete endpoints a page's widgets would call."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.autocompletes: set[tuple[str, str, str]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"] or "")
        if tag == "select" and "admin-autocomplete" in (a.get("class") or ""):
            self.autocompletes.add(
                (
                    a.get("data-app-label") or "",
                    a.get("data-model-name") or "",
                    a.get("data-field-name") or "",
                )
            )


class Book:
    """Everything that hangs off one CSM's account, in every account-bound table."""

    def __init__(self, owner, tag: str, shared: dict) -> None:
        now, today = clock.now(), clock.today()
        self.account = AccountFactory(
            name=f"{tag} Holdings", domain=f"{tag.lower()}.test", owner=owner
        )
        account = self.account
        self.contact = ContactFactory(
            account=account,
            first_name=tag,
            last_name="Champion",
            email=f"champion@{tag.lower()}-book.test",
        )
        contract = ContractFactory(account=account, name=f"{tag} subscription")
        ticket = SupportTicketFactory(
            account=account, subject=f"{tag} ticket", connection=shared["connection"]
        )
        cta = CtaFactory(account=account, title=f"{tag} follow-up", owner=owner)
        plan = OnboardingPlan.objects.create(account=account, template="standard", owner=owner)
        milestone = OnboardingMilestone.objects.create(
            plan=plan, key="kickoff", name=f"{tag} kickoff"
        )
        session = TrainingSession.objects.create(
            module=shared["module"], account=account, scheduled_at=now, trainer=owner
        )
        member = ProgramMember.objects.create(
            program=shared["program"], contact=self.contact, joined_at=now
        )
        message = EmailMessage.objects.create(
            account=account,
            contact=self.contact,
            to_email=self.contact.email,
            subject=f"{tag} hello",
            body="Hi",
        )
        self.message = message
        self.rows = [
            account,
            self.contact,
            contract,
            RenewalFactory(account=account, contract=contract, owner=owner),
            ExpansionOpportunity.objects.create(
                account=account, kind="upsell", amount=Decimal("1000"), source="manual"
            ),
            Activity.objects.create(
                account=account,
                contact=self.contact,
                kind="call",
                occurred_at=now,
                subject=f"{tag} call",
            ),
            cta,
            Escalation.objects.create(
                account=account,
                severity="high",
                summary=f"{tag} outage",
                opened_at=now,
                sla_due_at=now + timedelta(hours=8),
                owner=owner,
                cta=cta,
                ticket=ticket,
            ),
            LifecycleStageChange.objects.create(
                account=account, to_stage="adoption", changed_at=now, reason="kick-off"
            ),
            plan,
            milestone,
            OnboardingReminder.objects.create(
                milestone=milestone, kind="due_soon", window=today, sent_at=now, cta=cta
            ),
            session,
            TrainingAttendance.objects.create(session=session, contact=self.contact),
            CustomerPortalSettings.objects.create(account=account, subdomain=tag.lower()),
            TrainingCompletion.objects.create(
                module=shared["module"], contact=self.contact, completed_at=now
            ),
            member,
            ProgramContribution.objects.create(
                member=member, kind="review", points=5, occurred_at=now
            ),
            CampaignEnrollment.objects.create(
                campaign=shared["campaign"], account=account, enrolled_at=now
            ),
            SegmentMembership.objects.create(
                segment=shared["segment"], account=account, entered_at=now
            ),
            HealthScoreFactory(account=account),
            HealthOverride.objects.create(
                account=account, score=Decimal("60"), reason="known issue", author=owner
            ),
            RiskIndicator.objects.create(
                account=account, kind="usage_drop", severity="high", detected_at=now
            ),
            ChurnPrediction.objects.create(
                account=account,
                as_of=now,
                predicted_at=now,
                probability=Decimal("0.4"),
                risk_level="medium",
                model_version="v1",
                factors=[],
                coverage=Decimal("0.9"),
            ),
            UsageDailyFactory(account=account),
            FeatureAdoption.objects.create(
                account=account, feature=shared["feature"], first_used_on=today, last_used_on=today
            ),
            SurveyResponse.objects.create(
                survey=shared["survey"],
                kind="nps",
                account=account,
                contact=self.contact,
                score=9,
                responded_at=now,
            ),
            Feedback.objects.create(
                account=account,
                contact=self.contact,
                kind="idea",
                text=f"{tag} wants exports",
                created_at=now,
            ),
            message,
            EmailEvent.objects.create(
                message=message,
                provider_event_id=f"ev-{tag}",
                event="delivered",
                email=self.contact.email,
                occurred_at=now,
            ),
            ticket,
            TicketComment.objects.create(
                ticket=ticket, author="agent", body=f"{tag} looking", created_at=now
            ),
            FeatureUsageDay.objects.create(
                connection=shared["connection"],
                account=account,
                feature=shared["feature"],
                date=today,
                events=3,
            ),
            ConsentRecord.objects.create(
                contact=self.contact,
                purpose="marketing",
                granted=True,
                source="admin",
                recorded_at=now,
            ),
        ]

    def change_urls(self) -> set[str]:
        return {
            reverse(f"admin:{row._meta.app_label}_{row._meta.model_name}_change", args=[row.pk])
            for row in self.rows
        }

    def secrets(self) -> set[str]:
        """What must never reach the other CSM: the account's name and the e-mail address."""
        return {self.account.name, self.contact.email}


def _shared() -> dict:
    connection = Connection.objects.create(
        provider="zendesk", name="Desk", base_url="https://desk.example.test"
    )
    return {
        "connection": connection,
        "program": Program.objects.create(key="advocates", name="Advocates", kind="advocacy"),
        "module": TrainingModule.objects.create(key="basics", title="Basics"),
        "campaign": Campaign.objects.create(name="Renewal push", kind="renewal"),
        "segment": Segment.objects.create(key="at-risk", name="At risk", rules={"all": []}),
        "feature": Feature.objects.create(key="reports", name="Reports"),
        "survey": Survey.objects.create(key="nps", name="NPS", kind="nps", question="Recommend?"),
    }


@pytest.fixture
def books():
    """Two CSMs' books filled in every account-bound table, and the cross-book records
    (webhook payloads, sync samples, monitor details, outbox, DSRs) that name the other."""
    mine_csm = UserFactory(username="csm-mine", role=Role.CSM)
    theirs_csm = UserFactory(username="csm-theirs", role=Role.CSM)
    shared = _shared()
    mine, theirs = Book(mine_csm, "Ours", shared), Book(theirs_csm, "Zyxtheirs", shared)
    # A parent company in the other book: the CSM's pages must not name it either.
    mine.account.parent = theirs.account
    mine.account.save(update_fields=["parent"])
    now = clock.now()
    leak = {
        "org": theirs.account.name,
        "email": theirs.contact.email,
        "account_id": theirs.account.pk,
    }
    WebhookEvent.objects.create(
        provider="zendesk",
        event_id="wh-1",
        payload=leak,
        received_at=now,
        connection=shared["connection"],
    )
    SyncRun.objects.create(
        connection=shared["connection"],
        stream="tickets",
        status="succeeded",
        started_at=now,
        unmatched_samples=[leak],
    )
    monitor = MonitorConfig.objects.create(key="churn_risk_monitor")
    MonitorRun.objects.create(monitor=monitor, started_at=now, status="succeeded", details=leak)
    OutboxMessage.objects.create(
        kind="sendgrid.mail_send",
        idempotency_key="k1",
        next_attempt_at=now,
        email_message=theirs.message,
    )
    DataSubjectRequest.objects.create(
        kind="access",
        subject_email=theirs.contact.email,
        requested_at=now,
        due_at=now + timedelta(days=30),
    )
    IdempotencyRecord.objects.create(
        user=theirs_csm, tool="get_client_info", key="k", request_hash="h", response=leak
    )
    return {"mine": mine, "theirs": theirs, "mine_csm": mine_csm, "theirs_csm": theirs_csm}


def _normal(href: str, base: str) -> str | None:
    """The crawlable admin URL `href` points to (None: elsewhere or a state change)."""
    if href.startswith("?"):
        href = urlsplit(base).path + href
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith(ADMIN):
        return None
    if parts.path.rstrip("/").endswith("logout"):
        return None
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + (f"?{urlencode(query)}" if query else "")


def crawl(
    client, forbidden: set[str], forbidden_urls: set[str], limit: int = 2500
) -> list[tuple[str, str]]:
    """Every admin page reachable from the index (query-string links followed from pages
    without one, so filters are visited but not combined) and every autocomplete endpoint
    a page's widgets call; returns (url, what leaked) for each forbidden string or another
    book's change URL found in a page."""
    leaks: list[tuple[str, str]] = []
    seen: set[str] = {ADMIN}
    queue: deque[str] = deque([ADMIN])
    autocompletes: set[tuple[str, str, str]] = set()
    pages = 0
    while queue and pages < limit:
        url = queue.popleft()
        response = client.get(url)
        pages += 1
        assert response.status_code in (200, 302, 403, 404), (url, response.status_code)
        if response.status_code != 200:
            continue
        body = response.content.decode()
        leaks += [(url, s) for s in forbidden | forbidden_urls if s in body]
        parser = _Links()
        parser.feed(body)
        autocompletes |= parser.autocompletes
        for href in parser.hrefs:
            target = _normal(href, url)
            if target is None or ("?" in target and "?" in url):
                continue
            # One link per changelist and query parameter set (a filter's choices differ
            # only in value, sort links only in the order): every filter and view is seen.
            key = _shape(target)
            if key in seen:
                continue
            seen.add(key)
            queue.append(target)
    assert pages < limit, "the crawl did not finish"
    for app_label, model_name, field_name in sorted(autocompletes):
        params = {
            "app_label": app_label,
            "model_name": model_name,
            "field_name": field_name,
            "term": "",
        }
        response = client.get(reverse("admin:autocomplete"), params)
        if response.status_code != 200:
            continue
        body = response.content.decode()
        url = f"autocomplete {app_label}.{model_name}.{field_name}"
        leaks += [(url, s) for s in forbidden if s in body]
        leaks += [
            (url, f"id {r['id']}")
            for r in response.json()["results"]
            if r["id"] in _ids_of(forbidden_urls)
        ]
    assert pages > 60 and autocompletes, (pages, autocompletes)
    print(f"crawled {pages} pages, {len(autocompletes)} autocomplete endpoints")
    return leaks


def _shape(url: str) -> str:
    parts = urlsplit(url)
    names = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return parts.path + ("?" + "&".join(names) if names else "")


def _ids_of(urls: set[str]) -> set[str]:
    return {
        m.group(1) for u in urls if (m := re.search(r"/(\d+)/change/$", u)) and "/account/" in u
    }


def test_a_csm_crawling_the_admin_sees_nothing_of_another_book(client, books):
    client.force_login(books["mine_csm"])
    theirs = books["theirs"]
    assert crawl(client, theirs.secrets(), theirs.change_urls()) == []
    # The crawl really reaches the pages that would leak: the CSM's own rows are there.
    mine_page = client.get(
        reverse(
            "admin:customers_campaign_change",
            args=[books["mine"].account.enrollments.get().campaign_id],
        )
    )
    assert books["mine"].account.name in mine_page.content.decode()


def test_the_crawl_catches_one_inline_left_unscoped(client, books, monkeypatch):
    """Removing one inline's scope (the campaign's enrolments) is caught by the crawl and
    by the system check."""
    monkeypatch.setattr(CampaignEnrollmentInline, "scope_lookup", lambda self: None)
    client.force_login(books["mine_csm"])
    theirs = books["theirs"]
    leaks = crawl(client, theirs.secrets(), theirs.change_urls())
    assert leaks and {url for url, _ in leaks} == {
        reverse(
            "admin:customers_campaign_change", args=[theirs.account.enrollments.get().campaign_id]
        )
    }
    campaign_admin = admin.site._registry[Campaign]
    inline = CampaignEnrollmentInline(Campaign, admin.site)
    assert [e.id for e in scope_check(inline)] == ["cs_admin.E002"]
    assert scope_check(campaign_admin) == []


def test_the_other_csm_and_a_manager_see_theirs(client, books):
    """The crawl's strings are on the pages of those who may see them."""
    theirs = books["theirs"]
    client.force_login(books["theirs_csm"])
    campaign_id = theirs.account.enrollments.get().campaign_id
    assert (
        theirs.account.name
        in client.get(
            reverse("admin:customers_campaign_change", args=[campaign_id])
        ).content.decode()
    )
    manager = UserFactory(username="cs-manager", role=Role.MANAGER)
    client.force_login(manager)
    webhook = client.get(
        reverse("admin:integrations_webhookevent_change", args=[WebhookEvent.objects.get().pk])
    )
    assert theirs.contact.email in webhook.content.decode()


def test_member_counts_count_the_csms_book(client, books):
    client.force_login(books["mine_csm"])
    counts = {}
    for name, attr in (
        ("customers_campaign", "active_enrollment_count"),
        ("health_segment", "current_member_count"),
        ("customers_program", "current_member_count"),
    ):
        response = client.get(reverse(f"admin:{name}_changelist"))
        counts[name] = [getattr(row, attr) for row in response.context["cl"].result_list]
    assert counts == {"customers_campaign": [1], "health_segment": [1], "customers_program": [1]}
    client.force_login(UserFactory(username="cs-manager", role=Role.MANAGER))
    response = client.get(reverse("admin:customers_campaign_changelist"))
    assert [row.active_enrollment_count for row in response.context["cl"].result_list] == [2]


def test_cross_book_records_are_for_managers(client, books):
    client.force_login(books["mine_csm"])
    assert client.get(reverse("admin:integrations_webhookevent_changelist")).status_code == 403
    run = SyncRun.objects.get()
    body = client.get(reverse("admin:integrations_syncrun_change", args=[run.pk])).content.decode()
    assert "unmatched samples" not in body and books["theirs"].contact.email not in body
    monitor_run = MonitorRun.objects.get()
    body = client.get(
        reverse("admin:health_monitorrun_change", args=[monitor_run.pk])
    ).content.decode()
    assert books["theirs"].account.name not in body
    client.force_login(UserFactory(username="cs-manager", role=Role.MANAGER))
    body = client.get(reverse("admin:integrations_syncrun_change", args=[run.pk])).content.decode()
    assert books["theirs"].contact.email in body


# --- assignment targets --------------------------------------------------------------------


def test_work_is_assigned_only_to_people_who_can_see_and_work_the_account(staff, portfolio):
    """Through the tools (and so every channel): a colleague's or a viewer's id is refused
    with nothing written; the account's CSM and a manager may take it."""
    from cs_platform.core.errors import InvalidInput
    from customers.models import Escalation
    from tests.builders import call_tool

    account = portfolio["healthy"]  # csm1's
    create = {"action": "create", "account_id": account.pk, "severity": "high", "summary": "Down"}
    escalation_id = call_tool(staff["csm1"], "manage_escalations", create)["escalation"]["id"]
    for outsider in ("csm2", "viewer"):
        change = {
            "action": "update",
            "escalation_id": escalation_id,
            "owner_id": staff[outsider].pk,
        }
        with pytest.raises(InvalidInput) as refused:
            call_tool(staff["csm1"], "manage_escalations", change)
        assert refused.value.details["errors"][0] == {
            "field": "owner_id",
            "message": "this user cannot see or work this account",
            "type": "forbidden",
        }
        assert Escalation.objects.get(pk=escalation_id).owner_id == staff["csm1"].pk
    with pytest.raises(InvalidInput):
        call_tool(staff["csm1"], "manage_escalations", {**create, "owner_id": staff["csm2"].pk})
    assert Escalation.objects.filter(account=account).count() == 1
    change = {"action": "update", "escalation_id": escalation_id, "owner_id": staff["manager"].pk}
    call_tool(staff["csm1"], "manage_escalations", change)
    assert Escalation.objects.get(pk=escalation_id).owner_id == staff["manager"].pk


def test_record_services_refuse_an_owner_outside_the_book(staff, portfolio, actors):
    from cs_platform.core.errors import InvalidInput
    from customers.services.ctas import cta_create, cta_update

    account = portfolio["healthy"]
    with pytest.raises(InvalidInput) as refused:
        cta_create(
            actor=actors["csm1"],
            fields={"account_id": account.pk, "title": "Call", "owner_id": staff["csm2"].pk},
        )
    assert refused.value.details["errors"][0]["field"] == "owner_id"
    cta = cta_create(actor=actors["csm1"], fields={"account_id": account.pk, "title": "Call"})
    with pytest.raises(InvalidInput):
        cta_update(actor=actors["manager"], cta=cta, changes={"owner_id": staff["viewer"].pk})
    cta_update(actor=actors["manager"], cta=cta, changes={"owner_id": staff["csm1"].pk})
    # An owner who stays is not re-checked (the book may have moved since).
    account.owner = staff["csm2"]
    account.save(update_fields=["owner"])
    cta.refresh_from_db()
    assert cta_update(actor=actors["manager"], cta=cta, changes={"title": "Call back"})


def test_admin_owner_pickers_list_who_can_take_the_work(client, staff, portfolio):
    from cs_platform.core.actors import actor_for_user
    from cs_platform.core.errors import InvalidInput
    from cs_platform.core.records import account_assignee_check
    from customers.models import CTA
    from customers.selectors import account_list_for_actor
    from customers.selectors.scope import user_list_assignable

    account = portfolio["healthy"]
    cta = CTA.objects.create(account=account, title="Check in", reason="manual", source="manual")
    type(staff["csm1"]).objects.filter(pk=staff["csm1"].pk).update(is_staff=True)
    client.force_login(staff["csm1"])
    for path in (
        reverse("admin:customers_cta_change", args=[cta.pk]),
        reverse("admin:customers_cta_add"),
    ):
        form = client.get(path).context["adminform"].form
        names = sorted(u.username for u in form.fields["owner"].queryset)
        assert names == ["csm1", "manager"], (path, names)
    edit = reverse("admin:customers_account_change", args=[account.pk]) + "?edit=1"
    account_page = client.get(edit)  # the form with its inlines (a plain GET opens the 360)
    for formset in account_page.context["inline_admin_formsets"]:
        owner = formset.formset.form.base_fields.get("owner")
        if owner is not None:
            assert sorted(label for pk, label in owner.choices if pk) == ["csm1", "manager"]
    # The picker's list and the services' check are the same rule, user by user.
    for user in staff.values():
        listed = user_list_assignable(type(account).objects.filter(pk=account.pk)).filter(
            pk=user.pk
        )
        try:
            account_assignee_check(account.pk, user.pk, field="owner_id")
            allowed = True
        except InvalidInput:
            allowed = False
        assert listed.exists() == allowed, user.username
        seen = account_list_for_actor(actor_for_user(user, channel="admin")).filter(pk=account.pk)
        assert not allowed or seen.exists()
