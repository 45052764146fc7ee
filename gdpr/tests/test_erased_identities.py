"""Erased people cannot come back: erasure keeps a keyed HMAC of each of their
identifiers (no plaintext), and every path that creates contacts from outside refuses them."""

from __future__ import annotations

import pytest

from cs_platform.core.actors import actor_for_user
from cs_platform.core.errors import Conflict
from cs_platform.core.tools import invoke_tool
from customers.models import Contact, ErasedIdentity
from customers.services.contacts import contact_bulk_upsert, contact_create, contact_update
from customers.services.erased import erased_identity_digest
from gdpr.services.erase import subject_erase
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

EMAIL = "zelda.quist@northwind.example"


@pytest.fixture
def erased(staff):
    account = AccountFactory(owner=staff["csm1"])
    contact = ContactFactory(
        account=account, email=EMAIL, first_name="Zelda", last_name="Quist",
        external_id="crm-77", intercom_contact_id="ic-77", zendesk_user_id="zd-77",
    )  # fmt: skip
    erasure = subject_erase(actor=None, email=EMAIL)
    return {"account": account, "contact": contact, "erasure": erasure}


def _actor(user):
    return actor_for_user(user, channel="command")


def test_erasure_blocks_each_identifier_as_a_keyed_hash_without_plaintext(erased):
    assert erased["erasure"].identities_blocked == 4
    rows = set(ErasedIdentity.objects.values_list("kind", "digest"))
    assert rows == {
        ("email", erased_identity_digest("email", EMAIL)),
        ("external_id", erased_identity_digest("external_id", "crm-77")),
        ("intercom_contact_id", erased_identity_digest("intercom_contact_id", "ic-77")),
        ("zendesk_user_id", erased_identity_digest("zendesk_user_id", "zd-77")),
    }
    stored = " ".join(d for _, d in rows)
    assert "zelda" not in stored.lower() and "ic-77" not in stored
    assert all(len(d) == 64 for _, d in rows)
    # Keyed: a plain SHA-256 of the address (what a dictionary attack would try) is not it.
    import hashlib

    assert hashlib.sha256(f"email:{EMAIL}".encode()).hexdigest() not in stored


def test_erasing_again_adds_nothing(erased):
    before = ErasedIdentity.objects.count()
    subject_erase(actor=None, email=EMAIL)
    assert ErasedIdentity.objects.count() == before


def test_contact_create_refuses_an_erased_address_whatever_its_case(erased, staff):
    with pytest.raises(Conflict, match="email: this person was erased") as exc:
        contact_create(
            actor=_actor(staff["csm1"]), account_id=erased["account"].pk,
            email="  Zelda.Quist@Northwind.example ",
        )  # fmt: skip
    assert EMAIL not in str(exc.value) and EMAIL not in str(exc.value.details)
    assert not Contact.objects.filter(email=EMAIL).exists()


@pytest.mark.parametrize(
    "field, value",
    [("external_id", "crm-77"), ("intercom_contact_id", "ic-77"), ("zendesk_user_id", "zd-77")],
)
def test_contact_create_refuses_an_erased_provider_or_external_id(erased, staff, field, value):
    with pytest.raises(Conflict, match=f"{field}: this person was erased"):
        contact_create(
            actor=_actor(staff["csm1"]), account_id=erased["account"].pk,
            email="someone.else@northwind.example", **{field: value},
        )  # fmt: skip


def test_a_live_contact_cannot_take_an_erased_address(erased, staff):
    other = ContactFactory(account=erased["account"], email="other@northwind.example")
    with pytest.raises(Conflict):
        contact_update(actor=_actor(staff["csm1"]), contact=other, changes={"email": EMAIL})
    # Unrelated changes of a contact are not refused.
    assert contact_update(actor=_actor(staff["csm1"]), contact=other, changes={"title": "CTO"}) == [
        "title"
    ]


def test_bulk_upsert_reports_rows_of_erased_people_and_writes_the_rest(erased, staff):
    account_id = erased["account"].pk
    results = contact_bulk_upsert(
        actor=_actor(staff["csm1"]),
        rows=[
            {"external_id": "crm-1", "account": account_id, "email": EMAIL.upper()},
            {"external_id": "crm-77", "account": account_id, "email": "new@northwind.example"},
            {"external_id": "crm-2", "account": account_id, "email": "fine@northwind.example"},
        ],
    )
    assert [r["status"] for r in results] == ["error", "error", "created"]
    assert results[0]["errors"][0]["field"] == "email"
    assert results[1]["errors"][0]["field"] == "external_id"
    assert EMAIL not in str(results)
    assert Contact.objects.filter(external_id__in=["crm-1", "crm-77"]).count() == 0


def test_register_client_refuses_an_erased_primary_contact(erased, staff):
    payload = {
        "name": "Zelda's New Co", "domain": "newco.example", "tier": "smb",
        "seats_licensed": 5, "arr": "1000.00", "currency": "EUR",
        "contract_start": "2026-01-01", "contract_end": "2027-01-01",
        "contact_email": EMAIL, "idempotency_key": "register-newco",
    }  # fmt: skip
    with pytest.raises(Conflict, match="contact_email"):
        invoke_tool("register_client", _actor(staff["csm1"]), payload)
    assert not Contact.objects.filter(email=EMAIL).exists()


def test_an_address_erased_without_any_contact_is_blocked_too(staff):
    """A request about an address nobody here has still blocks it from arriving later."""
    subject_erase(actor=None, email="ghost@nowhere.example")
    account = AccountFactory(owner=staff["csm1"])
    with pytest.raises(Conflict):
        contact_create(
            actor=_actor(staff["csm1"]), account_id=account.pk, email="ghost@nowhere.example"
        )


def test_a_dry_run_blocks_nothing(staff):
    ContactFactory(email="dry@run.example")
    erasure = subject_erase(actor=None, email="dry@run.example", dry_run=True)
    assert erasure.identities_blocked == 1 and not ErasedIdentity.objects.exists()
