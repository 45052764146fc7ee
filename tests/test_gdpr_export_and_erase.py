"""`gdpr_export` and `gdpr_erase` on a subject with data in every registered model.

The subject is written the way the product writes (tools for the contact, the ticket, the
e-mail and the notes; rows for what a sync, a webhook or a monitor would store). The
export before erasure holds every one of those rows; after erasure no text, varchar or
JSON column of any table holds the subject's e-mail, names or phone, and the audit chain
still verifies.
"""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection

from cs_platform.core import clock
from cs_platform.core.personal_data import personal_data_registry
from customers.models import (
    CTA,
    Activity,
    Contact,
    Escalation,
    ExecutiveReview,
    ExpansionOpportunity,
    LifecycleStageChange,
    Program,
    ProgramContribution,
    ProgramMember,
    Renewal,
    TrainingAttendance,
    TrainingCompletion,
    TrainingModule,
    TrainingSession,
)
from gdpr.models import ConsentRecord, DataSubjectRequest
from gdpr.services.requests import request_receive
from health.models import (
    Feedback,
    HealthOverride,
    MonitorConfig,
    MonitorRun,
    ProductInsight,
    RiskIndicator,
    Survey,
    SurveyResponse,
)
from integrations.models import (
    CustomerPortalSettings,
    EmailEvent,
    EmailMessage,
    KnowledgeArticle,
    KnowledgeArticleVote,
    NewsletterDelivery,
    NewsletterEdition,
    NewsletterSubscription,
    OutboxMessage,
    SupportTicket,
    SyncRun,
    TicketComment,
    WebhookEvent,
)
from tests.builders import call_tool

pytestmark = pytest.mark.django_db

EMAIL = "zelda.quist@northwind.example"
FIRST, LAST, PHONE = "Zelda", "Quistorff", "+44 20 7946 0958"
FULL = f"{FIRST} {LAST}"
NEEDLES = (EMAIL, FIRST, LAST, PHONE)


def text_columns_holding(needles) -> list[str]:
    """Every text, varchar and JSON column of every table that holds one of `needles`."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
        )
        columns = cursor.fetchall()
        patterns = [f"%{n}%" for n in needles]
        found = []
        for table, column in columns:
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE ANY(%s)',
                [patterns],
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


@pytest.fixture
def subject(staff, sendgrid_connection):
    """The subject in every registered model; returns {model label: ids about them}."""
    manager, now = staff["manager"], clock.now()
    made: dict[str, set[int]] = {}

    def add(*objs):
        for obj in objs:
            made.setdefault(obj._meta.label_lower, set()).add(obj.pk)
        return objs[0]

    out = call_tool(
        manager,
        "register_client",
        {
            "name": "Northwind Example",
            "domain": "northwind.example",
            "tier": "smb",
            "seats_licensed": 5,
            "arr": "1200.00",
            "currency": "EUR",
            "contract_start": "2026-01-01",
            "contract_end": "2027-01-01",
            "contact_email": EMAIL,
            "contact_first_name": FIRST,
            "contact_last_name": LAST,
        },
    )
    account_id = out["account_id"]
    zelda = add(Contact.objects.get(pk=out["contact_id"]))
    Contact.objects.filter(pk=zelda.pk).update(
        phone=PHONE, zendesk_user_id="zd-77", intercom_contact_id="ic-77", external_id="crm-77"
    )
    other = Contact.objects.create(account_id=account_id, email="ops@northwind.example")
    call_tool(manager, "update_client_info", {"account_id": account_id, "notes": f"Champ {FULL}"})
    made["customers.account"] = {account_id}
    add(Renewal.objects.get(pk=out["renewal_id"]))
    Renewal.objects.filter(pk=out["renewal_id"]).update(notes=f"{FULL} signs ({PHONE})")

    add(
        Activity.objects.create(
            account_id=account_id, contact=zelda, kind="call", occurred_at=now,
            subject=f"Call with {FIRST}", body=f"{FIRST} asked us to use {PHONE}",
            attendees=[EMAIL], outcomes={"next": f"{FIRST} sends the file"},
        )
    )  # fmt: skip
    program = Program.objects.create(key="champions", name="Champions", kind="advocacy")
    member = add(
        ProgramMember.objects.create(program=program, contact=zelda, joined_at=now, level="gold")
    )
    add(ProgramContribution.objects.create(member=member, kind="talk", points=5, occurred_at=now,
                                           note=f"{FIRST} spoke at the meetup"))  # fmt: skip
    module = TrainingModule.objects.create(key="basics", title="Basics")
    add(TrainingCompletion.objects.create(module=module, contact=zelda, completed_at=now))
    session = TrainingSession.objects.create(module=module, account_id=account_id,
                                             scheduled_at=now)  # fmt: skip
    add(TrainingAttendance.objects.create(session=session, contact=zelda))
    review = add(ExecutiveReview.objects.create(
        account_id=account_id, scheduled_for=now, title=f"EBR with {FULL}",
        agenda=[f"{FIRST}'s goals"], objectives=[f"{FULL} signs off"],
        outcome=f"{FIRST} agreed; call {PHONE}",
    ))  # fmt: skip
    review.attendees.add(zelda)
    add(CTA.objects.create(account_id=account_id, reason="risk", title=f"Call {FULL}",
                           source="manual", details={"who": EMAIL}))  # fmt: skip
    add(Escalation.objects.create(account_id=account_id, severity="high", summary=f"{EMAIL} upset",
                                  opened_at=now, sla_due_at=now + timedelta(hours=4)))  # fmt: skip
    add(LifecycleStageChange.objects.create(account_id=account_id, from_stage="onboarding",
                                            to_stage="adoption", changed_at=now,
                                            reason=f"Kick-off with {FULL}"))  # fmt: skip
    add(ExpansionOpportunity.objects.create(account_id=account_id, kind="upsell", product="Seats",
                                            amount=100, source="manual",
                                            rationale={"champion": FULL}))  # fmt: skip

    survey = Survey.objects.create(key="nps", name="NPS", kind="nps", question="Recommend us?")
    add(SurveyResponse.objects.create(survey=survey, kind="nps", account_id=account_id,
                                      contact=zelda, score=9, comment=f"{FIRST} here, great",
                                      responded_at=now, source="intercom",
                                      external_id="ic-resp-1"))  # fmt: skip
    add(Feedback.objects.create(account_id=account_id, contact=zelda, kind="idea", source="portal",
                                text="More exports please", created_at=now))  # fmt: skip
    add(HealthOverride.objects.create(account_id=account_id, score=50, author=manager,
                                      reason=f"Per {FULL}"))  # fmt: skip
    add(RiskIndicator.objects.create(account_id=account_id, kind="champion_left", severity="high",
                                     details={"phone": PHONE}, detected_at=now))  # fmt: skip
    monitor = MonitorConfig.objects.create(key=MonitorConfig._meta.get_field("key").choices[0][0])
    add(MonitorRun.objects.create(monitor=monitor, started_at=now, status="succeeded",
                                  details={"contacted": [EMAIL]}))  # fmt: skip

    ticket = call_tool(
        manager,
        "handle_support_ticket",
        {"action": "create", "account_id": account_id, "contact_id": zelda.pk,
         "subject": f"{FULL} cannot sign in", "description": f"Call {PHONE}"},
    )["ticket"]  # fmt: skip
    theirs = add(SupportTicket.objects.get(pk=ticket["id"]))
    # Another contact's ticket that names the subject: found by its text, redacted.
    mention = call_tool(
        manager,
        "handle_support_ticket",
        {"action": "create", "account_id": account_id, "contact_id": other.pk,
         "subject": "Access for a colleague", "description": f"Please add {FULL} ({EMAIL})"},
    )["ticket"]  # fmt: skip
    made["integrations.supportticket"].add(mention["id"])
    add(TicketComment.objects.create(ticket=theirs, author=FULL, body="Thanks!", created_at=now))
    sent = call_tool(
        manager,
        "send_personalized_email",
        {"contact_id": zelda.pk, "subject": "Hello {{first_name}}",
         "body": "Dear {{first_name}}, call us.", "idempotency_key": "hello-zelda-1"},
    )  # fmt: skip
    message = add(EmailMessage.objects.get(pk=sent["message_id"]))
    made["core.idempotencyrecord"] = {  # the stored answer holds the rendered message
        pk for pk, in connection.cursor().execute(
            "SELECT id FROM core_idempotencyrecord WHERE key = 'hello-zelda-1'"
        ).fetchall()
    }  # fmt: skip
    add(EmailEvent.objects.create(message=message, provider_event_id="sg-1",
                                  event="delivered", email=EMAIL, occurred_at=now,
                                  payload={"email": EMAIL}))  # fmt: skip
    add(OutboxMessage.objects.get(email_message=message))
    OutboxMessage.objects.filter(email_message=message).update(error=f"{EMAIL} bounced")
    add(WebhookEvent.objects.create(provider="zendesk", event_id="wh-1", event_type="user.updated",
                                    received_at=now,
                                    payload={"user": {"name": FULL, "email": EMAIL}}))  # fmt: skip
    add(SyncRun.objects.create(connection=sendgrid_connection, stream="contacts", status="failed",
                               task_id="t-1", started_at=now, error_code="unmatched",
                               error_message=f"no account for {EMAIL}",
                               unmatched_samples=[{"email": EMAIL, "name": FULL}]))  # fmt: skip
    article = KnowledgeArticle.objects.create(slug="sso", title="SSO", body="How to sign in")
    add(KnowledgeArticleVote.objects.create(article=article, voter=f"contact:{zelda.pk}",
                                            helpful=True))  # fmt: skip
    portal = CustomerPortalSettings.objects.create(account_id=account_id,
                                                   welcome_message=f"Ask {FULL}")  # fmt: skip
    add(portal)
    add(ProductInsight.objects.create(title="Exports", summary=f"{FULL} needs CSV exports",
                                      product_area="exports", shared_with="product"))  # fmt: skip
    add(NewsletterSubscription.objects.create(contact=zelda, newsletter="news",
                                              subscribed_at=now))  # fmt: skip
    edition = NewsletterEdition.objects.create(newsletter="news", subject="News", body="Hi")
    add(NewsletterDelivery.objects.create(edition=edition, contact=zelda, status="skipped",
                                          skip_reason="consent_missing"))  # fmt: skip
    add(ConsentRecord.objects.create(contact=zelda, purpose="marketing_email", granted=False,
                                     source="preference centre", recorded_at=now))  # fmt: skip
    add(request_receive(actor=None, kind="export", email=EMAIL))
    add(request_receive(actor=None, kind="erasure", email=EMAIL.upper()))
    # An admin log row written before the log stopped naming rows by their text.
    add(LogEntry.objects.create(user_id=manager.pk, action_flag=CHANGE, object_id=str(zelda.pk),
                                content_type=ContentType.objects.get_for_model(Contact),
                                object_repr=f"{FULL} ({account_id})",
                                change_message="[]"))  # fmt: skip
    return {"made": made, "contact": zelda, "account_id": account_id}


def test_export_holds_every_row_then_erasure_leaves_no_trace(subject, tmp_path, staff):
    made = subject["made"]
    # Every registered model has a row about the subject (a newly registered model fails
    # here until the fixture gives the subject a row in it).
    assert set(made) == set(personal_data_registry())
    assert text_columns_holding(NEEDLES)

    out = tmp_path / "export.json"
    call_command("gdpr_export", "--email", EMAIL, "--out", str(out), "--as", "manager")
    export = json.loads(out.read_text())
    manifest = export["manifest"]
    assert manifest["schema_version"] == 1 and manifest["generated_at"]
    for label, ids in made.items():
        assert ids <= {row["id"] for row in export["data"].get(label, [])}, label
        assert manifest["counts"][label] == len(export["data"][label])
    exported = {row["id"]: row for row in export["data"]["customers.contact"]}
    assert exported[subject["contact"].pk]["phone"] == PHONE
    assert DataSubjectRequest.objects.get(kind="export").status == "completed"

    zipped = tmp_path / "export.zip"
    call_command("gdpr_export", "--contact-id", str(subject["contact"].pk), "--out", str(zipped),
                 "--format", "zip")  # fmt: skip
    names = set(zipfile.ZipFile(zipped).namelist())
    assert {"manifest.json", "export.json", "customers.contact.json"} <= names

    before = text_columns_holding(NEEDLES)
    call_command("gdpr_erase", "--email", EMAIL, "--dry-run")
    assert text_columns_holding(NEEDLES) == before  # the dry run wrote nothing

    call_command("gdpr_erase", "--email", EMAIL, "--reason", f"asked by {FIRST}", "--as", "manager")
    assert text_columns_holding(NEEDLES) == []
    zelda = Contact.objects.get(pk=subject["contact"].pk)
    assert zelda.erased_at is not None and zelda.email_opt_out
    assert (zelda.zendesk_user_id, zelda.intercom_contact_id, zelda.external_id) == (None,) * 3
    erasure = DataSubjectRequest.objects.get(kind="erasure")
    assert erasure.status == "completed" and erasure.handled_by == staff["manager"]
    assert erasure.result["models"]["customers.contact"]["rows"] == 1
    # Rows the registry deletes are gone; the others stay, anonymised.
    assert not ProgramMember.objects.filter(contact=zelda).exists()
    assert not NewsletterSubscription.objects.filter(contact=zelda).exists()
    assert SupportTicket.objects.filter(pk__in=made["integrations.supportticket"]).count() == 2
    assert not Contact.objects.filter(email__icontains="quist").exists()

    # Idempotent: a second run finds nothing to change.
    call_command("gdpr_erase", "--email", EMAIL)
    call_command("verify_audit_chain")


def test_erasing_a_contact_by_id_drops_its_cached_copies(staff, django_capture_on_commit_callbacks):
    from tests.factories import ContactFactory

    contact = ContactFactory(first_name=FIRST, last_name=LAST, email=EMAIL)
    cache.set(f"overview:contact:{contact.pk}:card", {"name": FULL}, 300)
    cache.set(f"overview:account:{contact.account_id}:card", {"champion": FULL}, 300)
    cache.set("overview:account:0:card", {"kept": True}, 300)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("gdpr_erase", "--contact-id", str(contact.pk))
    assert cache.get(f"overview:contact:{contact.pk}:card") is None
    assert cache.get(f"overview:account:{contact.account_id}:card") is None
    assert cache.get("overview:account:0:card") == {"kept": True}


def test_missing_subject_or_unknown_contact_is_reported():
    with pytest.raises(CommandError, match="e-mail address or a contact id"):
        call_command("gdpr_erase")
    with pytest.raises(CommandError, match="no contact with id 999999"):
        call_command("gdpr_export", "--contact-id", "999999", "--out", "/dev/null")


def test_a_contact_who_was_emailed_can_be_deleted(staff, sendgrid_connection):
    from cs_platform.core.actors import actor_for_user
    from customers.services.contacts import contact_delete
    from tests.factories import ContactFactory

    contact = ContactFactory(account__owner=staff["csm1"])
    sent = call_tool(staff["csm1"], "send_personalized_email",
                     {"contact_id": contact.pk, "subject": "Hi", "body": "Hello"})  # fmt: skip
    contact_delete(actor=actor_for_user(staff["manager"], channel="admin"), contact=contact)
    message = EmailMessage.objects.get(pk=sent["message_id"])
    assert message.contact_id is None
