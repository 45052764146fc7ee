"""`export_personal_data`: the GDPR export over REST (and MCP, same `invoke_tool`) for
CS managers only, audited without values, answering the open access request."""

from __future__ import annotations

import json

import pytest

from audit.models import AuditEvent
from gdpr.models import DataSubjectRequest
from gdpr.services.requests import request_receive
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def post(client, payload, token):
    return client.post(
        "/api/v1/tools/export_personal_data/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_manager_exports_over_rest_and_the_request_is_answered(client, staff, make_token):
    contact = ContactFactory(first_name="Hedwig", last_name="Owlsley", email="hedwig@owl.test")
    dsr = request_receive(actor=None, kind="export", email="hedwig@owl.test")
    response = post(client, {"email": "Hedwig@Owl.test"}, make_token(staff["manager"]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["manifest"]["counts"]["customers.contact"] == 1
    assert body["data"]["customers.contact"][0]["id"] == contact.pk
    assert body["data"]["gdpr.datasubjectrequest"][0]["id"] == dsr.pk
    dsr.refresh_from_db()
    assert dsr.status == "completed" and dsr.handled_by == staff["manager"]
    events = AuditEvent.objects.filter(action__in=["tool.export_personal_data", "gdpr.export"])
    assert events.count() == 2
    for event in events:
        assert "hedwig" not in json.dumps(event.changes).lower()


def test_a_csm_may_not_export_personal_data(client, staff, make_token):
    ContactFactory(email="hedwig@owl.test", account__owner=staff["csm1"])
    response = post(client, {"email": "hedwig@owl.test"}, make_token(staff["csm1"]))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="gdpr.export").exists()


def test_missing_subject_and_unknown_request_are_4xx(client, staff, make_token):
    token = make_token(staff["manager"])
    missing = post(client, {}, token)
    assert missing.status_code == 400 and "email" in missing.content.decode()
    unknown = post(client, {"email": "a@b.test", "request_id": 999}, token)
    assert unknown.status_code == 404
    assert DataSubjectRequest.objects.count() == 0
