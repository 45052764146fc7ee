"""Admin writes and sign-ins are audit events. A write's event is its service's (the
admin writes through the services the tools use), in the write's transaction, on the
`admin` channel with the signed-in user as actor, with before/after of what changed and
never a secret or a personal value."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from audit.services import audit_chain_verify
from customers.models import Account, Contact, LifecycleStageChange
from integrations.models import Connection
from tests.admin_forms import form_data, last_id, new_events, url
from tests.factories import (
    PASSWORD,
    AccountFactory,
    ContactFactory,
    CtaFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_account_change_writes_one_event_with_before_and_after(client, root):
    account = AccountFactory(name="Initech", tier="smb", seats_licensed=50, owner=root)
    path = url("customers_account_change", account.pk)
    data = form_data(client.get(path + "?edit=1"))
    mark = last_id()

    response = client.post(path, {**data, "tier": "enterprise", "seats_licensed": "75"})

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.tier == "enterprise" and account.seats_licensed == 75
    events = new_events(mark)
    assert len(events) == 1
    event = events[0]
    assert event.action == "account.update" and event.channel == "admin"
    assert event.actor_id == root.pk and event.actor_label == "user:root"
    assert event.object_type == "customers.account" and event.object_id == str(account.pk)
    assert event.account_id == account.pk
    assert event.changes["diff"] == {
        "seats_licensed": {"before": 50, "after": 75},
        "tier": {"before": "smb", "after": "enterprise"},
    }
    assert audit_chain_verify().ok


def test_unchanged_save_writes_no_event(client, root):
    account = AccountFactory(owner=root)
    path = url("customers_account_change", account.pk)
    data = form_data(client.get(path + "?edit=1"))
    mark = last_id()
    assert client.post(path, data).status_code == 302
    assert new_events(mark) == []


def test_audit_failure_rolls_the_change_back(client, root, monkeypatch):
    account = AccountFactory(name="Rollback Co", tier="smb", owner=root)
    path = url("customers_account_change", account.pk)
    data = form_data(client.get(path + "?edit=1"))

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("audit.services.audit_event_record", broken)
    with pytest.raises(RuntimeError):
        client.post(path, {**data, "tier": "enterprise"})
    account.refresh_from_db()
    assert account.tier == "smb"


def test_stage_move_needs_a_reason_and_goes_through_the_lifecycle_service(client, root):
    account = AccountFactory(owner=root, lifecycle_stage="adoption")
    path = url("customers_account_change", account.pk)
    data = form_data(client.get(path + "?edit=1"))
    mark = last_id()

    refused = client.post(path, {**data, "lifecycle_stage": "at_risk"})
    assert refused.status_code == 200
    assert "stage_change_reason" in refused.context["adminform"].form.errors
    account.refresh_from_db()
    assert account.lifecycle_stage == "adoption" and new_events(mark) == []

    moved = client.post(
        path, {**data, "lifecycle_stage": "at_risk", "stage_change_reason": "Champion left"}
    )
    assert moved.status_code == 302
    account.refresh_from_db()
    assert account.lifecycle_stage == "at_risk"
    change = LifecycleStageChange.objects.get(account=account)
    assert (change.from_stage, change.to_stage, change.reason) == (
        "adoption",
        "at_risk",
        "Champion left",
    )
    assert change.changed_by == root
    [event] = new_events(mark)
    assert event.action == "account.stage_moved" and event.channel == "admin"
    assert event.changes["reason"] == "Champion left"
    assert audit_chain_verify().ok


def test_add_and_delete_are_audited_without_personal_values(client, root):
    account = AccountFactory(owner=root)
    mark = last_id()
    response = client.post(
        url("customers_contact_add"),
        {
            "account": str(account.pk),
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@customer.test",
            "title": "",
            "phone": "",
            "role": "champion",
            "external_id": "",
            "intercom_contact_id": "",
            "zendesk_user_id": "",
        },
    )
    assert response.status_code == 302
    contact = Contact.objects.get(email="grace@customer.test")
    [added] = new_events(mark)
    assert added.action == "contact.create" and added.account_id == account.pk
    assert added.channel == "admin" and added.actor_id == root.pk
    assert added.changes["email"] == "<changed>" and added.changes["role"] == "champion"
    assert "grace" not in json.dumps(added.changes) and "Hopper" not in json.dumps(added.changes)

    mark = last_id()
    response = client.post(url("customers_contact_delete", contact.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()
    [deleted] = new_events(mark)
    assert deleted.action == "contact.delete" and deleted.object_id == str(contact.pk)
    assert deleted.changes["diff"]["email"] == {"before": "[redacted]", "after": None}
    assert deleted.account_id == account.pk and "grace" not in json.dumps(deleted.changes)
    assert audit_chain_verify().ok


def test_bulk_delete_action_writes_one_event_per_row(client, root):
    contacts = [ContactFactory(account=AccountFactory(owner=root)) for _ in range(3)]
    mark = last_id()
    response = client.post(
        url("customers_contact_changelist"),
        {"action": "delete_selected", "_selected_action": [c.pk for c in contacts], "post": "yes"},
    )
    assert response.status_code == 302
    assert Contact.objects.count() == 0
    events = new_events(mark)
    assert [e.action for e in events] == ["contact.delete"] * 3
    assert sorted(e.object_id for e in events) == sorted(str(c.pk) for c in contacts)


def test_inline_rows_go_through_their_service_and_name_the_account(client, root):
    account = AccountFactory(owner=root)
    path = url("customers_account_change", account.pk)
    data = form_data(client.get(path + "?edit=1"))
    data.update(
        {
            "contacts-TOTAL_FORMS": "1",
            "contacts-0-first_name": "Alan",
            "contacts-0-last_name": "Turing",
            "contacts-0-email": "alan@customer.test",
            "contacts-0-title": "",
            "contacts-0-role": "user",
        }
    )
    mark = last_id()
    assert client.post(path, data).status_code == 302
    [event] = new_events(mark)
    assert event.action == "contact.create" and event.object_type == "customers.contact"
    assert event.account_id == account.pk and event.channel == "admin"
    assert Contact.objects.get(account=account).email == "alan@customer.test"


def test_connection_secret_change_is_audited_redacted(client, root):
    conn = Connection.objects.create(
        provider="zendesk",
        name="Desk",
        base_url="https://desk.example.test",
        credentials={"api_token": "old-secret-1"},
    )
    mark = last_id()
    response = client.post(
        url("integrations_connection_change", conn.pk),
        {
            "provider": "zendesk",
            "name": "Desk",
            "base_url": "https://desk.example.test",
            "enabled": "on",
            "sync_interval_minutes": "15",
            "settings": "{}",
            "cursors": "{}",
            "new_credentials": '{"api_token": "new-secret-2", "email": "ops@desk.test"}',
            "new_webhook_secret": "hook-secret-3",
        },
    )
    assert response.status_code == 302
    conn.refresh_from_db()
    assert conn.credentials == {"api_token": "new-secret-2", "email": "ops@desk.test"}
    assert conn.webhook_secret == "hook-secret-3"
    [event] = new_events(mark)
    assert event.action == "integrations.connection_updated" and event.channel == "admin"
    stored = json.dumps(event.changes)
    assert "secret-1" not in stored and "secret-2" not in stored and "secret-3" not in stored
    assert event.changes["credential_keys_replaced"] == ["api_token", "email"]
    assert event.changes["webhook_secret_set"] is True


def test_login_and_failed_login_are_audited(client):
    user = UserFactory(username="ada")
    mark = last_id()
    response = client.post(
        url("login"), {"username": "ada", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    [login] = new_events(mark)
    assert login.action == "auth.login" and login.actor_id == user.pk
    assert login.channel == "admin" and login.object_id == str(user.pk)

    mark = last_id()
    refused = client.post(url("login"), {"username": "ada", "password": "wrong-guess"})
    assert refused.status_code == 200
    [failed] = new_events(mark)
    assert failed.action == "auth.login_failed" and failed.actor_id is None
    # The typed username (often an e-mail address) is never kept, nor the password.
    assert failed.actor_label == "anonymous" and "username" not in failed.changes
    assert "ada" not in json.dumps(failed.changes) and "wrong-guess" not in json.dumps(
        failed.changes
    )
    assert audit_chain_verify().ok
    assert Account.objects.count() == 0


def test_csm_add_lands_in_own_book_with_initial_stage_history(client):
    csm = UserFactory(username="csm-add")
    client.force_login(csm)
    data = form_data(client.get(url("customers_account_add")))
    mark = last_id()
    response = client.post(url("customers_account_add"), {**data, "name": "Newco"})
    assert response.status_code == 302
    account = Account.objects.get(name="Newco")
    assert account.owner == csm
    history = LifecycleStageChange.objects.get(account=account)
    assert history.to_stage == account.lifecycle_stage and history.changed_by == csm
    [event] = new_events(mark)
    assert event.action == "account.create" and event.actor_id == csm.pk
    assert event.changes["diff"]["owner_id"] == {"before": None, "after": csm.pk}


def test_user_creation_and_password_change_never_store_the_hash(client, root):
    mark = last_id()
    response = client.post(
        url("auth_user_add"),
        {
            "username": "newcsm",
            "usable_password": "true",
            "password1": "An0ther-long-passphrase",
            "password2": "An0ther-long-passphrase",
            "staff_profile-TOTAL_FORMS": "0",
            "staff_profile-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newcsm")
    [added] = new_events(mark)
    assert added.action == "user.create" and added.object_type == "auth.user"
    assert added.changes["diff"]["password"]["after"] == "[redacted]"
    assert user.password not in json.dumps(added.changes)

    mark = last_id()
    response = client.post(
        url("auth_user_password_change", user.pk),
        {"password1": "Yet-another-passphrase-9", "password2": "Yet-another-passphrase-9"},
    )
    assert response.status_code == 302
    [changed] = new_events(mark)
    assert changed.action == "user.password_set" and changed.object_id == str(user.pk)
    assert changed.changes == {"usable": True} and changed.channel == "admin"
    user.refresh_from_db()
    assert user.check_password("Yet-another-passphrase-9")
    assert user.password not in json.dumps(changed.changes)


def test_nested_row_event_names_its_account(client, root):
    contact = ContactFactory(account=AccountFactory(owner=root))
    mark = last_id()
    response = client.post(
        url("gdpr_consentrecord_add"),
        {
            "contact": str(contact.pk),
            "purpose": "surveys",
            "granted": "on",
            "source": "call with champion",
            "recorded_at_0": "2026-01-05",
            "recorded_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302
    [event] = new_events(mark)
    assert event.action == "consent.create" and event.object_type == "gdpr.consentrecord"
    assert event.account_id == contact.account_id


def test_mark_done_action_closes_ctas_with_one_event_each(client, root):
    account = AccountFactory(owner=root)
    open_ctas = [
        CtaFactory(account=account, reason="renewal"),
        CtaFactory(account=account, reason="usage_drop"),
    ]
    mark = last_id()
    response = client.post(
        url("customers_cta_changelist"),
        {"action": "mark_done", "_selected_action": [c.pk for c in open_ctas]},
    )
    assert response.status_code == 302
    for cta in open_ctas:
        cta.refresh_from_db()
        assert cta.status == "done" and cta.closed_at is not None
    events = new_events(mark)
    assert [e.action for e in events] == ["cta.update", "cta.update"]
    assert all(e.changes["diff"]["status"] == {"before": "open", "after": "done"} for e in events)
    assert all(e.changes["diff"]["closed_at"]["before"] is None for e in events)
    assert {e.account_id for e in events} == {account.pk}
