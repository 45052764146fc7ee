"""The writer's redaction rule, applied whoever calls it (`audit_event_record`)."""

from __future__ import annotations

import pytest

from audit.services import audit_changes_redact, audit_event_record

pytestmark = pytest.mark.django_db


def test_tool_input_keeps_keys_numbers_and_flags_never_text():
    kept = audit_changes_redact(
        "",
        {"input": {"contact_id": 7, "subject": "Hi Ann", "tags": ["vip"], "dry": False,
                   "nested": {"email": "ann@x.test", "n": 1.5, "none": None}}},
    )  # fmt: skip
    assert kept == {
        "input": {"contact_id": 7, "subject": "[redacted]", "tags": ["[redacted]"], "dry": False,
                  "nested": {"email": "[redacted]", "n": 1.5, "none": None}}
    }  # fmt: skip


def test_diff_and_keys_of_registered_personal_fields_are_marked():
    kept = audit_changes_redact(
        "customers.contact",
        {
            "diff": {"email": {"before": "a@x.test", "after": ""}, "role": {"before": "user"}},
            "phone": "+1 555 0100",
            "account_id": 3,
        },
    )
    assert kept == {
        "diff": {"email": {"before": "[redacted]", "after": ""}, "role": {"before": "user"}},
        "phone": "[redacted]",
        "account_id": 3,
    }


def test_the_writer_applies_the_rule_to_any_caller(db):
    from tests.factories import ContactFactory

    contact = ContactFactory(first_name="Hedwig", email="hedwig@owl.test")
    event = audit_event_record(
        actor=None, actor_label="system:test", channel="system", action="test.raw",
        obj=contact, changes={"first_name": contact.first_name, "input": {"q": contact.email}},
    )  # fmt: skip
    assert "Hedwig" not in str(event.changes) and "hedwig@owl.test" not in str(event.changes)
