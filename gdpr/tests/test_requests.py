"""Data-subject requests: 30 days to answer; overdue ones become a CTA for the DPO."""

from __future__ import annotations

from datetime import timedelta

import pytest

from customers.models import CTA
from gdpr.services.requests import request_receive, requests_overdue_raise_ctas
from gdpr.tasks import requests_overdue
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_a_request_is_due_thirty_days_after_it_arrived():
    dsr = request_receive(actor=None, kind="export", email=" Hedwig@Owl.test ")
    assert dsr.subject_email == "hedwig@owl.test" and dsr.status == "received"
    assert dsr.due_at - dsr.requested_at == timedelta(days=30)


def test_overdue_requests_raise_one_cta_per_account_for_the_dpo(settings, staff, travel):
    settings.GDPR_DPO_USERNAME = "manager"
    contact = ContactFactory(email="hedwig@owl.test", account__owner=staff["csm1"])
    first = request_receive(actor=None, kind="export", email="hedwig@owl.test")
    second = request_receive(actor=None, kind="erasure", email="hedwig@owl.test")
    request_receive(actor=None, kind="export", email="nobody@else.test")
    assert requests_overdue_raise_ctas() == {"overdue": 0, "ctas": 0, "without_account": 0}

    travel(first.due_at + timedelta(hours=1))
    assert requests_overdue() == {"overdue": 3, "ctas": 2, "without_account": 1}
    cta = CTA.objects.get(reason="gdpr_request", account__isnull=False)
    assert cta.account_id == contact.account_id and cta.owner == staff["manager"]
    assert [r["id"] for r in cta.details["requests"]] == [first.pk, second.pk]
    assert "hedwig" not in (cta.title + str(cta.details)).lower()
    requests_overdue()  # the next day's run refreshes the same CTAs
    assert CTA.objects.filter(reason="gdpr_request").count() == 2


@pytest.mark.date_sensitive
def test_the_command_records_a_request_and_the_export_answers_it(tmp_path):
    from django.core.management import call_command

    from gdpr.models import DataSubjectRequest

    call_command("gdpr_request", "--kind", "export", "--email", "hedwig@owl.test")
    dsr = DataSubjectRequest.objects.get()
    call_command("gdpr_export", "--email", "hedwig@owl.test", "--out", str(tmp_path / "x.json"))
    dsr.refresh_from_db()
    assert dsr.status == "completed" and dsr.result["counts"]["gdpr.datasubjectrequest"] == 1


def test_an_overdue_request_no_contact_matches_raises_a_cta_for_the_dpo(
    settings, staff, travel, client
):
    """No account to hang it on: one CTA of no account, owned by the DPO, in their My day."""

    def sign_in(client, user) -> None:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        client.force_login(user)

    settings.GDPR_DPO_USERNAME = "manager"
    first = request_receive(actor=None, kind="export", email="nobody@else.test")
    second = request_receive(actor=None, kind="erasure", email="ghost@else.test")
    travel(second.due_at + timedelta(hours=1))
    assert requests_overdue() == {"overdue": 2, "ctas": 1, "without_account": 2}
    cta = CTA.objects.get(reason="gdpr_request")
    assert cta.account_id is None and cta.owner == staff["manager"]
    assert [r["id"] for r in cta.details["requests"]] == [first.pk, second.pk]
    assert "nobody" not in (cta.title + str(cta.details)) and cta.details["no_contact"]
    requests_overdue()
    assert CTA.objects.filter(reason="gdpr_request").count() == 1  # refreshed, not doubled

    sign_in(client, staff["manager"])
    page = client.get("/admin/workspace/my-day/")
    assert page.status_code == 200 and "GDPR request(s) overdue" in page.content.decode()
    assert client.get(f"/admin/customers/cta/{cta.pk}/change/").status_code == 200
    # A CSM's My day does not show the DPO's CTA.
    sign_in(client, staff["csm1"])
    assert "GDPR request(s) overdue" not in client.get("/admin/workspace/my-day/").content.decode()


def test_only_a_gdpr_request_cta_may_have_no_account(staff):
    from django.db import IntegrityError, transaction

    from cs_platform.core.actors import actor_for_user
    from cs_platform.core.errors import DomainError
    from customers.services.ctas import cta_create

    with pytest.raises(IntegrityError), transaction.atomic():
        CTA.objects.create(reason="manual", title="x", source="manual")
    # Through the write path (the admin's) it is a validation error, not a 500.
    for user in (staff["manager"], staff["csm1"]):
        with pytest.raises(DomainError):
            cta_create(
                actor=actor_for_user(user, channel="admin"),
                fields={"title": "No account", "priority": "low"},
            )
    assert not CTA.objects.exists()
