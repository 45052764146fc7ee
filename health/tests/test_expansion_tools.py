"""Expansion opportunities from the expansion book: figures, storage, no duplicates."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from cs_platform.core.errors import InvalidInput, NotFound
from customers.models import ExpansionOpportunity, OpportunityStatus
from health.models import UsageDaily
from tests.builders import call_tool

pytestmark = pytest.mark.django_db


def _found(out):
    return {(o["kind"], o["product"]): (o["amount"], o["result"]) for o in out["opportunities"]}


@pytest.mark.date_sensitive
def test_expansion_finds_stores_and_reruns_without_duplicates(staff, expansion_book):
    crowded = expansion_book["crowded"]
    out = call_tool(staff["csm1"], "identify_expansion_opportunities", {})
    assert out["accounts_scanned"] == 1 and out["created"] == 3
    assert _found(out) == {
        ("upsell", "tier:mid_market"): ("50000.00", "created"),
        ("seat_expansion", "seats"): ("16000.00", "created"),
        ("cross_sell", "Analytics"): ("7000.00", "created"),
    }
    assert out["total_reporting"] == "73000.00" and out["reporting_currency"] == "USD"
    seats = next(o for o in out["opportunities"] if o["kind"] == "seat_expansion")
    assert seats["rationale"]["extra_seats"] == 16 and seats["rationale"]["peak_users"] == 55
    assert ExpansionOpportunity.objects.filter(account=crowded).count() == 3
    assert AuditEvent.objects.filter(action="opportunity.identified").count() == 3

    again = call_tool(staff["csm1"], "identify_expansion_opportunities", {})
    assert (again["created"], again["refreshed"], again["unchanged"]) == (0, 0, 3)
    assert ExpansionOpportunity.objects.count() == 3

    # More users: the open seat opportunity is refreshed, not duplicated.
    UsageDaily.objects.filter(account=crowded, active_users=55).update(
        active_users=60, sessions=120
    )
    third = call_tool(staff["csm1"], "identify_upsell_opportunities", {})
    assert _found(third)[("seat_expansion", "seats")] == ("22000.00", "refreshed")
    assert ExpansionOpportunity.objects.get(kind="seat_expansion").amount == 22000

    # Closed ones are never reopened; a new open one is stored beside it.
    ExpansionOpportunity.objects.filter(kind="cross_sell").update(status=OpportunityStatus.LOST)
    fourth = call_tool(staff["csm1"], "identify_crosssell_opportunities", {})
    assert _found(fourth) == {("cross_sell", "Analytics"): ("7000.00", "created")}
    assert ExpansionOpportunity.objects.filter(kind="cross_sell").count() == 2


@pytest.mark.date_sensitive
def test_upsell_and_crosssell_are_subsets_and_scope_is_the_book(staff, expansion_book):
    upsell = call_tool(staff["manager"], "identify_upsell_opportunities", {"dry_run": True})
    assert set(_found(upsell)) == {("upsell", "tier:mid_market"), ("seat_expansion", "seats")}
    assert upsell["accounts_scanned"] == 6 and not ExpansionOpportunity.objects.exists()
    cross = call_tool(staff["manager"], "identify_crosssell_opportunities", {"dry_run": True})
    assert set(_found(cross)) == {("cross_sell", "Analytics")}
    other = call_tool(staff["csm2"], "identify_expansion_opportunities", {})
    assert other["accounts_scanned"] == 5 and other["opportunities"] == []
    # Another book's account looks missing; nothing is written.
    with pytest.raises(NotFound) as err:
        call_tool(
            staff["csm2"],
            "identify_expansion_opportunities",
            {"account_ids": [expansion_book["crowded"].pk]},
        )
    assert err.value.details["field"] == "account_ids"
    assert not ExpansionOpportunity.objects.exists()


@pytest.mark.date_sensitive
def test_thresholds_come_from_the_upsell_detector_config(staff, expansion_book):
    call_tool(
        staff["manager"],
        "configure_autonomous_worker",
        {"key": "upsell_detector", "thresholds": {"seat_expansion_pct": 120.0}},
    )
    out = call_tool(staff["csm1"], "identify_upsell_opportunities", {"dry_run": True})
    assert set(_found(out)) == {("upsell", "tier:mid_market")}


def test_bad_input_names_the_field_and_writes_nothing(staff, expansion_book):
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["csm1"], "identify_expansion_opportunities", {"account_ids": []})
    assert err.value.details["errors"][0]["field"] == "account_ids"
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["csm1"], "identify_upsell_opportunities", {"limit": 0})
    assert err.value.details["errors"][0]["field"] == "limit"
    assert not ExpansionOpportunity.objects.exists()
