"""No audit event holds a value the personal-data registry marks as personal, whoever
wrote it: tools (their raw input), the admin (adds, changes, deletes and its own log),
services called by commands, and sign-in signals (a failed login's typed username).

The subject's values are written through every one of those writers, then every event in
the database is scanned for them, and for every personal value any registered row holds.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.db.models import JSONField

from audit.models import AuditEvent
from audit.services import audit_chain_verify
from cs_platform.core.actors import actor_for_user
from cs_platform.core.personal_data import Rule, personal_data_registry
from customers.models import Contact
from customers.services.contacts import contact_update
from tests.admin_forms import url
from tests.builders import call_tool
from tests.factories import PASSWORD, SuperUserFactory

pytestmark = pytest.mark.django_db

EMAIL = "zelda.quist@northwind.example"
FIRST, LAST, PHONE = "Zelda", "Quistorff", "+44 20 7946 0958"
NEEDLES = (EMAIL, "zelda.quist", FIRST, LAST, PHONE, "Quistorff Consulting")


def _registered_personal_values() -> set[str]:
    """Every non-empty text value of a registered personal field, in every row."""
    found: set[str] = set()
    for entry in personal_data_registry().values():
        names = entry.fields_with(Rule.ANONYMISE, Rule.BLANK, Rule.REDACT)
        model = entry.model_class
        for row in model.objects.values_list(*names) if names else ():
            for name, value in zip(names, row, strict=True):
                field = model._meta.get_field(name)
                texts = _leaves(value) if isinstance(field, JSONField) else [value]
                found.update(t for t in texts if isinstance(t, str) and len(t) >= 5)
    return found


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def test_no_writer_puts_a_personal_value_into_an_audit_event(client, staff, sendgrid_connection):
    manager = staff["manager"]
    out = call_tool(
        manager,
        "register_client",
        {
            "name": "Quistorff Consulting",
            "domain": "quistorff.example",
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
        channel="mcp",
    )
    contact = Contact.objects.get(pk=out["contact_id"])
    contact_update(
        actor=actor_for_user(manager, channel="rest"), contact=contact, changes={"phone": PHONE}
    )
    call_tool(
        manager,
        "handle_support_ticket",
        {
            "action": "create",
            "account_id": out["account_id"],
            "contact_id": contact.pk,
            "subject": f"{FIRST} {LAST} cannot sign in",
            "description": f"Call {FIRST} on {PHONE} or write to {EMAIL}.",
        },
    )
    call_tool(
        manager,
        "send_personalized_email",
        {"contact_id": contact.pk, "subject": f"Hello {FIRST}", "body": f"Dear {FIRST} {LAST}"},
    )
    call_tool(
        manager,
        "update_client_info",
        {"account_id": out["account_id"], "notes": f"Champion: {FIRST} {LAST}, {PHONE}"},
    )

    # The admin: a failed sign-in typed with the subject's address, then a superuser who
    # adds and deletes a contact (its add, delete and Django's own log).
    assert client.post(url("login"), {"username": EMAIL, "password": "x"}).status_code == 200
    SuperUserFactory(username="root", password=PASSWORD)
    client.login(username="root", password=PASSWORD)
    second = Contact.objects.create(
        account_id=out["account_id"], email=f"second.{EMAIL}", first_name=FIRST, last_name=LAST
    )
    response = client.post(url("customers_contact_delete", second.pk), {"post": "yes"})
    assert response.status_code == 302 and not Contact.objects.filter(pk=second.pk).exists()

    values = set(NEEDLES) | _registered_personal_values()
    events = list(AuditEvent.objects.all())
    actions = {e.action for e in events}
    assert {
        "tool.register_client", "tool.handle_support_ticket", "tool.send_personalized_email",
        "tool.update_client_info", "contact.update", "contact.delete", "auth.login_failed",
    } <= actions  # fmt: skip
    for event in events:
        text = json.dumps(
            [event.actor_label, event.object_type, event.object_id, event.changes],
            ensure_ascii=False,
        ).lower()
        leaked = sorted(v for v in values if v.lower() in text)
        assert not leaked, f"{event.action} (#{event.pk}) holds {leaked}"
    for entry in LogEntry.objects.all():
        text = f"{entry.object_repr} {entry.change_message}".lower()
        assert not [v for v in NEEDLES if v.lower() in text], entry.object_repr
    assert audit_chain_verify().ok
