"""Data-subject requests: 30 days to answer; overdue ones become a CTA for the DPO."""

from __future__ import annotations

from datetime import timedelta

import pytest

from customers.models import CTA
from gdpr.services.requests import request_receive, requests_overdue_raise_ctas
from gdpr.tasks import requests_overdue
from tests.factories import ContactFactory

pytestmark = [pytest.mark.django_db, pytest.mark.date_sensitive]


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
    assert requests_overdue() == {"overdue": 3, "ctas": 1, "without_account": 1}
    cta = CTA.objects.get(reason="gdpr_request")
    assert cta.account_id == contact.account_id and cta.owner == staff["manager"]
    assert [r["id"] for r in cta.details["requests"]] == [first.pk, second.pk]
    assert "hedwig" not in (cta.title + str(cta.details)).lower()
    requests_overdue()  # the next day's run refreshes the same CTA
    assert CTA.objects.filter(reason="gdpr_request").count() == 1


def test_the_command_records_a_request_and_the_export_answers_it(tmp_path):
    from django.core.management import call_command

    from gdpr.models import DataSubjectRequest

    call_command("gdpr_request", "--kind", "export", "--email", "hedwig@owl.test")
    dsr = DataSubjectRequest.objects.get()
    call_command("gdpr_export", "--email", "hedwig@owl.test", "--out", str(tmp_path / "x.json"))
    dsr.refresh_from_db()
    assert dsr.status == "completed" and dsr.result["counts"]["gdpr.datasubjectrequest"] == 1
