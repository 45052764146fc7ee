"""The five core tools: real values from rows, scope on every channel, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.services import audit_chain_verify
from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from cs_platform.core.tools import invoke_tool
from customers.models import (
    Account,
    Activity,
    Contact,
    Contract,
    LifecycleStageChange,
    Renewal,
)
from tests.builders import build_account

pytestmark = pytest.mark.django_db


def call(user, name, payload, channel="command"):
    return invoke_tool(name, actor_for_user(user, channel=channel), payload)


REGISTER = {
    "name": "Northwind Traders",
    "domain": "northwind.test",
    "tier": "mid_market",
    "industry": "retail",
    "seats_licensed": 50,
    "arr": "48000.00",
    "currency": "EUR",
    "contract_start": "2026-01-01",
    "contract_end": "2027-01-01",
    "contact_email": "Ann@Northwind.test",
    "contact_first_name": "Ann",
}


@pytest.mark.date_sensitive
def test_register_client_creates_account_contact_contract_and_renewal(staff):
    out = call(staff["csm1"], "register_client", REGISTER)
    account = Account.objects.get(pk=out["account_id"])
    assert account.owner == staff["csm1"] and account.lifecycle_stage == "onboarding"
    assert str(account.arr) == "48000.00" and account.currency == "EUR"
    contact = Contact.objects.get(pk=out["contact_id"])
    assert contact.is_primary and contact.email == "ann@northwind.test"
    contract = Contract.objects.get(pk=out["contract_id"])
    assert str(contract.end_date) == "2027-01-01" and contract.seats == 50
    renewal = Renewal.objects.get(pk=out["renewal_id"])
    assert str(renewal.renewal_date) == "2027-01-01" and renewal.outcome is None
    assert LifecycleStageChange.objects.get(account=account).reason == "Registered"
    event = AuditEvent.objects.get(action="tool.register_client")
    assert event.account_id == account.pk and event.actor_id == staff["csm1"].pk
    assert audit_chain_verify().ok


def test_register_client_bad_input_names_fields_and_writes_nothing(staff):
    bad = {**REGISTER, "arr": "-5", "contact_email": "nope", "tier": "gold"}
    with pytest.raises(InvalidInput) as err:
        call(staff["csm1"], "register_client", bad)
    fields = {e["field"] for e in err.value.details["errors"]}
    assert fields == {"arr", "contact_email", "tier"}
    reversed_dates = {**REGISTER, "contract_end": "2025-01-01"}
    with pytest.raises(InvalidInput):
        call(staff["csm1"], "register_client", reversed_dates)
    with pytest.raises(InvalidInput) as err:
        call(staff["csm1"], "register_client", {**REGISTER, "surprise": 1})
    assert err.value.details["errors"][0]["field"] == "surprise"
    assert Account.objects.count() == 0 and AuditEvent.objects.count() == 0


@pytest.mark.date_sensitive
def test_register_client_duplicate_domain_conflict_and_idempotency(staff):
    first = call(staff["csm1"], "register_client", {**REGISTER, "idempotency_key": "reg-00001"})
    again = call(staff["csm1"], "register_client", {**REGISTER, "idempotency_key": "reg-00001"})
    assert again == first and Account.objects.count() == 1
    with pytest.raises(Conflict):
        call(
            staff["csm1"],
            "register_client",
            {**REGISTER, "idempotency_key": "reg-00001", "seats_licensed": 9},
        )
    with pytest.raises(Conflict) as err:
        call(staff["csm1"], "register_client", REGISTER)
    assert err.value.details["errors"][0]["field"] == "domain"
    assert Account.objects.count() == 1


@pytest.mark.date_sensitive
def test_csm_cannot_register_into_another_book(staff):
    with pytest.raises(InvalidInput) as err:
        call(staff["csm1"], "register_client", {**REGISTER, "owner_id": staff["csm2"].pk})
    assert err.value.details["errors"][0]["field"] == "owner_id"
    out = call(staff["manager"], "register_client", {**REGISTER, "owner_id": staff["csm2"].pk})
    assert Account.objects.get(pk=out["account_id"]).owner == staff["csm2"]


@pytest.mark.date_sensitive
def test_overviews_differ_and_match_rows(portfolio, staff):
    healthy = call(staff["csm1"], "get_client_overview", {"account_id": portfolio["healthy"].pk})
    declining = call(
        staff["csm1"], "get_client_overview", {"account_id": portfolio["declining"].pk}
    )
    assert healthy["usage"]["trend_pct"] > 0 > declining["usage"]["trend_pct"]
    assert declining["usage"]["avg_dau_last_30"] == 40.0
    assert declining["surveys"]["csat_avg"] == 2.0 and healthy["surveys"]["csat_avg"] == 5.0
    assert declining["renewal"]["days_to_renewal"] == 65
    assert declining["contract"]["arr"] == "120000.00"
    # Never scored: health is null and named missing, not a neutral number.
    assert healthy["health"] is None and "health" in healthy["missing"]


def test_update_client_info_before_after_and_noop(portfolio, staff):
    account = portfolio["healthy"]
    out = call(
        staff["csm1"],
        "update_client_info",
        {"account_id": account.pk, "seats_licensed": 120, "tier": "smb"},
    )
    assert out["changed"] == [{"field": "seats_licensed", "before": 100, "after": 120}]
    account.refresh_from_db()
    assert account.seats_licensed == 120
    event = AuditEvent.objects.get(action="tool.update_client_info")
    assert event.changes["diff"]["seats_licensed"] == {"before": 100, "after": 120}
    with pytest.raises(InvalidInput) as err:
        call(
            staff["csm1"],
            "update_client_info",
            {"account_id": account.pk, "owner_id": staff["csm2"].pk},
        )
    assert err.value.details["errors"][0]["field"] == "owner_id"
    account.refresh_from_db()
    assert account.owner == staff["csm1"]


@pytest.mark.date_sensitive
def test_list_clients_filters_totals_and_cursor(portfolio, staff):
    page1 = call(staff["manager"], "list_clients", {"limit": 2})
    assert [c["name"] for c in page1["clients"]] == ["Fixture 001", "Fixture 002"]
    assert page1["totals"]["accounts"] == 3
    assert page1["totals"]["arr_total"] == "258000.00"
    assert page1["totals"]["by_health_band"]["unknown"] == 3
    page2 = call(
        staff["manager"], "list_clients", {"limit": 2, "cursor": page1["page"]["next_cursor"]}
    )
    assert [c["name"] for c in page2["clients"]] == ["Fixture 003"] and not page2["page"][
        "has_next"
    ]
    mine = call(staff["csm1"], "list_clients", {"tier": "enterprise"})
    assert [c["name"] for c in mine["clients"]] == ["Fixture 002"]
    assert mine["totals"]["accounts"] == 1 and mine["clients"][0]["open_tickets"] == 3
    soon = call(staff["manager"], "list_clients", {"renewal_within_days": 30})
    assert soon["totals"]["accounts"] == 0
    with pytest.raises(InvalidInput) as err:
        call(staff["manager"], "list_clients", {"cursor": "garbage!"})
    assert err.value.details["errors"][0]["field"] == "cursor"


def test_timeline_merges_sources_and_paginates(portfolio, staff):
    account = portfolio["declining"]
    now = clock.now()
    Activity.objects.create(
        account=account, kind="ebr", subject="EBR with CFO", occurred_at=now - timedelta(days=1)
    )
    out = call(staff["csm1"], "get_client_timeline", {"account_id": account.pk, "limit": 3})
    kinds = [e["kind"] for e in out["events"]]
    assert kinds[0] == "activity" and out["events"][0]["title"] == "EBR with CFO"
    assert out["page"]["has_next"]
    seen = [(e["kind"], e["object_id"]) for e in out["events"]]
    cursor = out["page"]["next_cursor"]
    while cursor:
        nxt = call(
            staff["csm1"],
            "get_client_timeline",
            {"account_id": account.pk, "limit": 3, "cursor": cursor},
        )
        seen += [(e["kind"], e["object_id"]) for e in nxt["events"]]
        cursor = nxt["page"]["next_cursor"]
    # 1 activity + 3 tickets + 4 survey answers, each exactly once.
    assert len(seen) == len(set(seen)) == 8
    only = call(
        staff["csm1"],
        "get_client_timeline",
        {"account_id": account.pk, "kinds": ["survey_response"]},
    )
    assert {e["kind"] for e in only["events"]} == {"survey_response"} and len(only["events"]) == 4


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("get_client_overview", {}),
        ("update_client_info", {"region": "APAC"}),
        ("get_client_timeline", {}),
    ],
)
def test_csm_cannot_touch_another_csms_account(portfolio, staff, name, extra):
    foreign = portfolio["other_csm"]
    with pytest.raises(NotFound):
        call(staff["csm1"], name, {"account_id": foreign.pk, **extra})
    foreign.refresh_from_db()
    assert foreign.region == ""


@pytest.mark.date_sensitive
def test_csm_list_and_register_stay_in_own_book(portfolio, staff):
    names = [c["name"] for c in call(staff["csm1"], "list_clients", {})["clients"]]
    assert names == ["Fixture 001", "Fixture 002"]
    assert (
        call(staff["csm1"], "list_clients", {"owner_id": staff["csm2"].pk})["totals"]["accounts"]
        == 0
    )


@pytest.mark.date_sensitive
def test_viewer_reads_but_cannot_write(portfolio, staff):
    out = call(staff["viewer"], "get_client_overview", {"account_id": portfolio["other_csm"].pk})
    assert out["account_id"] == portfolio["other_csm"].pk
    with pytest.raises(PermissionDenied):
        call(
            staff["viewer"],
            "update_client_info",
            {"account_id": portfolio["healthy"].pk, "region": "X"},
        )


@pytest.mark.date_sensitive
@pytest.mark.parametrize("name", ["get_client_overview", "list_clients", "get_client_timeline"])
def test_queries_do_not_grow_with_accounts(portfolio, staff, name, settings):
    payload = {"account_id": portfolio["declining"].pk} if name != "list_clients" else {}
    settings.OVERVIEW_CACHE_SECONDS = 0  # the database path (the cached one is 2 queries)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            call(staff["manager"], name, payload)
        return len(ctx.captured_queries)

    before = count()
    for n in range(10, 22):
        build_account(staff["csm2"], n, declining=bool(n % 2), days=5)
    assert count() == before


def test_read_actions_of_a_write_tool_need_only_read(portfolio, staff):
    from audit.models import AuditEvent

    viewer = actor_for_user(staff["viewer"], channel="mcp")
    out = invoke_tool("manage_lifecycle_stages", viewer, {"action": "distribution"})
    assert sum(row["accounts"] for row in out["distribution"]) == 3
    assert not AuditEvent.objects.filter(action="tool.manage_lifecycle_stages").exists()
    with pytest.raises(PermissionDenied):
        invoke_tool(
            "manage_lifecycle_stages",
            viewer,
            {
                "action": "move",
                "account_id": portfolio["healthy"].pk,
                "to_stage": "expansion",
                "reason": "Upsell signed",
            },
        )
