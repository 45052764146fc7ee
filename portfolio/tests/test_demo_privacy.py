"""The demo shows GDPR at work: consent answers, data-subject requests (two overdue, one
open, one answered), the CTAs the overdue ones raise (one of no account, for the manager
as stand-in DPO, in their My day), and the daily task agrees with what was seeded."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from customers.models import CTA, Contact
from gdpr.models import ConsentRecord, DataSubjectRequest
from gdpr.services.requests import requests_overdue_raise_ctas
from portfolio.seed.users import MANAGER_USERNAME
from portfolio.tests.histories import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", "--accounts=12", "--seed=42", "--reset", verbosity=0)


@pytest.mark.date_sensitive
def test_the_demo_seeds_requests_consents_and_their_ctas(demo, client):
    requests = {r.pk: r for r in DataSubjectRequest.objects.all()}
    assert [(r.kind, r.status) for _, r in sorted(requests.items())] == [
        ("export", "received"), ("erasure", "received"), ("export", "received"),
        ("export", "completed"),
    ]  # fmt: skip
    assert Contact.objects.filter(email=requests[1].subject_email).exists()
    assert not Contact.objects.filter(email=requests[2].subject_email).exists()
    assert ConsentRecord.objects.filter(purpose="product_email", granted=True).count() == 12
    assert ConsentRecord.objects.filter(purpose="marketing_email", granted=False).exists()

    ctas = {c.account_id: c for c in CTA.objects.filter(reason="gdpr_request")}
    assert set(ctas) == {1, None}
    manager = get_user_model().objects.get(username=MANAGER_USERNAME)
    assert ctas[None].owner_id == manager.pk
    # The daily task finds the same two overdue requests and refreshes the same CTAs.
    assert requests_overdue_raise_ctas() == {"overdue": 2, "ctas": 2, "without_account": 1}
    assert CTA.objects.filter(reason="gdpr_request").count() == 2

    sign_in(client, manager)
    page = client.get("/admin/workspace/my-day/").content.decode()
    assert "GDPR request(s) overdue" in page and "no account" in page
    assert client.get("/admin/gdpr/datasubjectrequest/").status_code == 200

    # A second seed with --reset replaces them (ids restart).
    call_command("seed_demo", "--accounts=12", "--seed=42", "--reset", verbosity=0)
    assert sorted(DataSubjectRequest.objects.values_list("pk", flat=True)) == [1, 2, 3, 4]
