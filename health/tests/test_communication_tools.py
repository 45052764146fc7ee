"""automate_communications against the sandbox SendGrid over HTTP: rules fire once per
account and window, consent and opt-outs are honoured, the beat task runs them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput, PermissionDenied
from gdpr.models import ConsentRecord
from health.monitor_tasks import communication_rules_evaluate_task
from integrations.models import CommunicationFiring, CommunicationRule, EmailMessage
from tests.builders import call_tool

pytestmark = pytest.mark.django_db(transaction=True)

RULE = {
    "action": "create",
    "name": "Small business check-in",
    "conditions": [{"field": "tier", "op": "eq", "value": "smb"}],
    "subject": "{{account_name}}: a quick check-in",
    "body": "Hi {{first_name}}, how is it going? {{csm_name}}",
    "window_days": 30,
}


@pytest.mark.date_sensitive
def test_rule_fires_once_per_account_and_window(
    staff, two_books, sandbox, sendgrid_connection, travel
):
    rule = call_tool(staff["manager"], "automate_communications", RULE)["rule"]
    out = call_tool(
        staff["manager"], "automate_communications", {"action": "run_now", "rule_id": rule["id"]}
    )
    # Acme's primary contact (Ada) is e-mailed; Globex has no primary contact.
    assert out["evaluation"]["matched"] == 2
    assert (out["evaluation"]["queued"], out["evaluation"]["skipped"]) == (1, {"no_recipient": 1})
    sent = sandbox.sendgrid_sent()
    assert [s["to"] for s in sent] == [["ada@acme.test"]]
    assert sent[0]["subject"] == "Acme Analytics: a quick check-in"
    message = EmailMessage.objects.get()
    assert (message.status, message.sent_by) == ("sent", staff["csm1"])

    again = call_tool(
        staff["manager"], "automate_communications", {"action": "run_now", "rule_id": rule["id"]}
    )
    assert (again["evaluation"]["already_fired"], again["evaluation"]["queued"]) == (2, 0)
    assert communication_rules_evaluate_task() == {"evaluated": 1, "failed": {}}
    assert len(sandbox.sendgrid_sent()) == 1 and CommunicationFiring.objects.count() == 2

    mine = call_tool(
        staff["csm1"], "automate_communications", {"action": "firings", "rule_id": rule["id"]}
    )
    assert [(f["account_id"], f["status"], f["email_status"]) for f in mine["firings"]] == [
        (two_books["acme"].pk, "queued", "sent")
    ]

    travel(clock.now() + timedelta(days=31))  # the next window: the beat task fires again
    assert communication_rules_evaluate_task()["evaluated"] == 1
    assert len(sandbox.sendgrid_sent()) == 2 and CommunicationFiring.objects.count() == 4


@pytest.mark.date_sensitive
def test_consent_and_opt_out_are_honoured(staff, two_books, sandbox, sendgrid_connection):
    marketing = call_tool(
        staff["manager"],
        "automate_communications",
        {**RULE, "name": "Webinar invitation", "category": "marketing"},
    )["rule"]
    out = call_tool(
        staff["manager"],
        "automate_communications",
        {"action": "run_now", "rule_id": marketing["id"]},
    )
    assert out["evaluation"]["skipped"] == {"consent_missing": 1, "no_recipient": 1}

    ada = two_books["ada"]
    ConsentRecord.objects.create(
        contact=ada, purpose="marketing_email", granted=True, source="form", recorded_at=clock.now()
    )
    ada.email_opt_out = True
    ada.save()
    service = call_tool(
        staff["manager"], "automate_communications", {**RULE, "name": "Service note"}
    )["rule"]
    out = call_tool(
        staff["manager"], "automate_communications", {"action": "run_now", "rule_id": service["id"]}
    )
    assert out["evaluation"]["skipped"] == {"contact_opted_out": 1, "no_recipient": 1}
    assert sandbox.sendgrid_sent() == [] and not EmailMessage.objects.exists()


def test_bad_rules_are_refused_naming_the_field_and_csms_cannot_run_them(staff, two_books):
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["manager"], "automate_communications", {**RULE, "subject": None})
    assert err.value.details["errors"][0]["field"] == "subject"
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["manager"],
            "automate_communications",
            {**RULE, "conditions": [{"field": "tier", "op": "gt", "value": "smb"}]},
        )
    assert err.value.details["errors"][0]["field"].startswith("conditions.0")
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["manager"], "automate_communications", {**RULE, "window_days": 0})
    assert err.value.details["errors"][0]["field"] == "window_days"
    assert not CommunicationRule.objects.exists()
    with pytest.raises(PermissionDenied):
        call_tool(staff["csm1"], "automate_communications", RULE)
    listed = call_tool(staff["csm1"], "automate_communications", {"action": "list"})
    assert listed["rules"] == []
