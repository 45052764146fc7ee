"""Renewals, forecast, negotiation, NRR/GRR and CLV against hand-computed figures."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from customers.models import ExchangeRate, Renewal
from health.tests.builders import create_account, create_health_score
from health.tests.fixtures import create_contract
from tests.builders import call_tool

pytestmark = pytest.mark.django_db


def renewal(account, days: int, arr: str, *, currency: str = "USD", **fields) -> Renewal:
    return Renewal.objects.create(
        account=account,
        renewal_date=clock.today() + timedelta(days=days),
        current_arr=Decimal(arr),
        currency=currency,
        **fields,
    )


def closed(account, days_ago: int, outcome: str) -> Renewal:
    return renewal(
        account,
        -days_ago,
        "1000.00",
        stage="closed",
        outcome=outcome,
        outcome_arr=Decimal("0") if outcome == "churned" else Decimal("1000"),
    )


def eur_rate() -> None:
    ExchangeRate.objects.create(
        base="EUR", quote="USD", rate=Decimal("1.1"), valid_from=clock.today() - timedelta(days=800)
    )


@pytest.mark.date_sensitive
def test_track_renewals_lists_the_window_with_reminders(staff):
    today = clock.today()
    soon = create_account(staff["csm1"], "Soon")
    create_health_score(soon, 80, "green")
    late = create_account(staff["csm1"], "Late")
    far = create_account(staff["csm1"], "Far")
    other = create_account(staff["csm2"], "Other")
    r_soon = renewal(soon, 45, "20000.00")
    r_late = renewal(late, -5, "9000.00", currency="EUR")
    renewal(far, 200, "5000.00")
    renewal(other, 10, "7000.00")
    closed(soon, 300, "renewed")

    out = call_tool(staff["csm1"], "track_renewals", {})
    assert [r["renewal_id"] for r in out["renewals"]] == [r_late.pk, r_soon.pk]
    assert (out["total_renewals"], out["overdue"], out["without_rate"]) == (2, 1, 1)
    assert out["total_arr_reporting"] == "20000.00"
    row = out["renewals"][1]
    assert (row["days_to_renewal"], row["health_band"], row["arr_reporting"]) == (
        45,
        "green",
        "20000.00",
    )
    assert [(x["days_before"], x["status"]) for x in row["reminders"]] == [
        (90, "passed"),
        (60, "passed"),
        (30, "upcoming"),
        (7, "upcoming"),
    ]
    assert row["next_reminder_on"] == (today + timedelta(days=15)).isoformat()
    assert out["renewals"][0]["arr_reporting"] is None  # no EUR rate: reported, not guessed

    page = call_tool(staff["csm1"], "track_renewals", {"limit": 1, "include_overdue": False})
    assert [r["renewal_id"] for r in page["renewals"]] == [r_soon.pk]
    assert not page["page"]["has_next"]
    first = call_tool(staff["csm1"], "track_renewals", {"limit": 1})
    second = call_tool(
        staff["csm1"], "track_renewals", {"limit": 1, "cursor": first["page"]["next_cursor"]}
    )
    assert [r["renewal_id"] for r in second["renewals"]] == [r_soon.pk]
    with pytest.raises(NotFound):
        call_tool(staff["csm1"], "track_renewals", {"account_id": other.pk})
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["csm1"], "track_renewals", {"reminder_days": [0]})
    assert err.value.details["errors"][0]["field"] == "reminder_days.0"


def _forecast_book(staff):
    """Four renewals early next month, with hand-computed probabilities:
    green, no history: .9 → commit, 10 000 → 9 000
    red, 1 renewed of 2: (.8 + 1)/4 = .45 → at_risk, 20 000 → 9 000
    yellow, 1 renewed of 1: (1.4 + 1)/3 = .8 → commit, 5 000 EUR = 5 500 → 4 400
    unknown, 0 renewed of 1: 1.2/3 = .4 → at_risk, 8 000 → 3 200"""
    eur_rate()
    today = clock.today()
    first_next = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    days = (first_next - today).days + 2
    green = create_account(staff["csm1"], "Green")
    create_health_score(green, 85, "green")
    red = create_account(staff["csm1"], "Red")
    create_health_score(red, 20, "red")
    closed(red, 400, "renewed")
    closed(red, 30, "churned")
    yellow = create_account(staff["csm1"], "Yellow")
    create_health_score(yellow, 60, "yellow")
    closed(yellow, 300, "expanded")
    quiet = create_account(staff["csm1"], "Quiet")
    closed(quiet, 200, "churned")
    rows = {
        "green": renewal(green, days, "10000.00"),
        "red": renewal(red, days, "20000.00"),
        "yellow": renewal(yellow, days, "5000.00", currency="EUR"),
        "quiet": renewal(quiet, days, "8000.00"),
    }
    renewal(create_account(staff["csm2"], "Elsewhere"), days, "99000.00")
    return first_next.strftime("%Y-%m"), rows


@pytest.mark.date_sensitive
def test_forecast_matches_the_hand_computed_figures(staff):
    month, rows = _forecast_book(staff)
    out = call_tool(staff["csm1"], "forecast_renewals", {"months": 3})
    assert len(out["months"]) == 3 and out["months"][1]["month"] == month
    by_id = {r["renewal_id"]: r for r in out["renewals"]}
    expected = {
        "green": ("0.900", "commit", "9000.00"),
        "red": ("0.450", "at_risk", "9000.00"),
        "yellow": ("0.800", "commit", "4400.00"),
        "quiet": ("0.400", "at_risk", "3200.00"),
    }
    for name, (p, category, weighted) in expected.items():
        r = by_id[rows[name].pk]
        assert (r["probability"], r["category"], r["weighted_arr"]) == (p, category, weighted)
    assert by_id[rows["red"].pk]["history"] == "1/2"
    m = out["months"][1]
    assert (m["renewals"], m["arr"], m["weighted_arr"]) == (4, "43500.00", "25600.00")
    assert m["commit"] == {"renewals": 2, "arr": "15500.00", "weighted_arr": "13400.00"}
    assert m["at_risk"] == {"renewals": 2, "arr": "28000.00", "weighted_arr": "12200.00"}
    assert m["best_case"]["renewals"] == 0
    assert out["total"]["weighted_arr"] == "25600.00"
    assert out["months"][0]["renewals"] == 0


@pytest.mark.date_sensitive
def test_forecast_override_needs_a_reason_and_can_be_cleared(staff):
    _, rows = _forecast_book(staff)
    green = rows["green"]
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "forecast_renewals",
            {"action": "override", "renewal_id": green.pk, "probability": "0.3"},
        )
    assert err.value.details["errors"][0]["field"] == "reason"
    green.refresh_from_db()
    assert green.probability_override is None

    out = call_tool(
        staff["csm1"],
        "forecast_renewals",
        {
            "action": "override",
            "renewal_id": green.pk,
            "probability": "0.3",
            "reason": "Champion left",
        },
    )
    r = next(x for x in out["renewals"] if x["renewal_id"] == green.pk)
    assert (r["model_probability"], r["probability"], r["category"], r["weighted_arr"]) == (
        "0.900",
        "0.300",
        "at_risk",
        "3000.00",
    )
    assert r["override_reason"] == "Champion left"
    assert AuditEvent.objects.filter(action="renewal.probability_overridden").count() == 1
    cleared = call_tool(
        staff["csm1"], "forecast_renewals", {"action": "clear_override", "renewal_id": green.pk}
    )
    assert next(x for x in cleared["renewals"] if x["renewal_id"] == green.pk)["category"] == (
        "commit"
    )
    with pytest.raises(NotFound):
        call_tool(
            staff["csm2"],
            "forecast_renewals",
            {"action": "override", "renewal_id": green.pk, "probability": "0.1", "reason": "x y"},
        )


@pytest.mark.date_sensitive
def test_negotiation_guardrails_and_approval(staff):
    account = create_account(staff["csm1"], "Negotiating")
    r = renewal(account, 60, "10000.00")
    small = call_tool(
        staff["csm1"],
        "negotiate_renewals",
        {"action": "propose", "renewal_id": r.pk, "proposed_arr": "9500.00", "reason": "3y term"},
    )
    assert small["renewal"]["discount_pct"] == "5.0"
    assert small["renewal"]["proposal_status"] == "approved"
    assert small["renewal"]["stage"] == "in_negotiation"

    big = call_tool(
        staff["csm1"],
        "negotiate_renewals",
        {"action": "propose", "renewal_id": r.pk, "proposed_arr": "8000.00", "reason": "budget"},
    )
    assert (big["renewal"]["discount_pct"], big["renewal"]["proposal_status"]) == (
        "20.0",
        "pending_approval",
    )
    with pytest.raises(PermissionDenied):
        call_tool(staff["csm1"], "negotiate_renewals", {"action": "approve", "renewal_id": r.pk})
    with pytest.raises(Conflict):
        call_tool(
            staff["csm1"],
            "negotiate_renewals",
            {"action": "close", "renewal_id": r.pk, "outcome": "renewed", "outcome_arr": "8000"},
        )
    listed = call_tool(staff["manager"], "negotiate_renewals", {"action": "list"})
    assert [x["proposal_status"] for x in listed["renewals"]] == ["pending_approval"]
    approved = call_tool(
        staff["manager"], "negotiate_renewals", {"action": "approve", "renewal_id": r.pk}
    )
    assert approved["renewal"]["proposal_status"] == "approved"
    assert approved["renewal"]["decided_by"] == "manager"

    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "negotiate_renewals",
            {"action": "propose", "renewal_id": r.pk, "proposed_arr": "6000.00", "reason": "x"},
        )
    assert err.value.details["errors"][0]["field"] == "proposed_arr"
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "negotiate_renewals",
            {"action": "propose", "renewal_id": r.pk, "proposed_arr": "9900.00"},
        )
    assert err.value.details["errors"][0]["field"] == "reason"
    r.refresh_from_db()
    assert (r.proposed_arr, r.proposal_status) == (Decimal("8000.00"), "approved")

    done = call_tool(
        staff["csm1"],
        "negotiate_renewals",
        {"action": "close", "renewal_id": r.pk, "outcome": "downgraded", "outcome_arr": "8000"},
    )
    assert (done["renewal"]["stage"], done["renewal"]["outcome"]) == ("closed", "downgraded")
    with pytest.raises(Conflict):
        call_tool(
            staff["csm1"],
            "negotiate_renewals",
            {"action": "propose", "renewal_id": r.pk, "proposed_arr": "9000.00"},
        )
    assert AuditEvent.objects.filter(action="renewal.proposed").count() == 2


def _revenue_book(staff):
    """A year of contract history (all smb, csm1), start = today − 365:
    A 10 000 → renewed at 12 000 (expansion 2 000); B 20 000 → 15 000 (contraction 5 000);
    C 8 000 → gone (churn 8 000); E 10 000 EUR at 1.1 = 11 000 flat; D new logo 5 000;
    a pending 99 999 contract counts for nothing.
    Start 49 000; end (cohort) 38 000: NRR 77.6 %, GRR (49 − 5 − 8)/49 = 73.5 %."""
    eur_rate()
    today = clock.today()
    start = today - timedelta(days=365)

    def contract(account, arr, first, last, **kw):
        create_contract(
            account,
            "",
            arr,
            days_ago=(today - (start + timedelta(days=first))).days,
            days_left=((start + timedelta(days=last)) - today).days,
            **kw,
        )

    csm = staff["csm1"]
    a = create_account(csm, "A", arr=Decimal("12000.00"))
    contract(a, "10000.00", -100, 200, status="expired")
    contract(a, "12000.00", 200, 465)
    b = create_account(csm, "B", arr=Decimal("15000.00"))
    contract(b, "20000.00", -50, 100, status="expired")
    contract(b, "15000.00", 100, 395)
    c = create_account(
        csm, "C", arr=Decimal("0.00"), status="churned", churned_on=today - timedelta(days=185)
    )
    contract(c, "8000.00", -10, 180, status="expired")
    d = create_account(csm, "D", arr=Decimal("5000.00"))
    contract(d, "5000.00", 30, 665)
    e = create_account(
        csm, "E", arr=Decimal("10000.00"), currency="EUR", arr_reporting=Decimal("11000.00")
    )
    contract(e, "10000.00", -20, 700, currency="EUR")
    f = create_account(csm, "F", arr=Decimal("0.00"))
    contract(f, "99999.00", -20, 700, status="pending")
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


@pytest.mark.date_sensitive
def test_nrr_and_grr_from_contract_history(staff):
    _revenue_book(staff)
    out = call_tool(staff["csm1"], "track_revenue_expansion", {})
    o = out["overall"]
    assert (o["start_arr"], o["end_arr"]) == ("49000.00", "38000.00")
    assert (o["expansion"], o["contraction"], o["churn"]) == ("2000.00", "5000.00", "8000.00")
    assert (o["new_logo_arr"], o["new_logos"]) == ("5000.00", 1)
    assert (o["nrr_pct"], o["grr_pct"]) == (77.6, 73.5)
    assert (o["accounts_start"], o["accounts_retained"], o["accounts_churned"]) == (4, 3, 1)
    assert [t["tier"] for t in out["by_tier"]] == ["smb"]
    other = call_tool(staff["csm2"], "track_revenue_expansion", {})
    assert other["overall"]["start_arr"] == "0.00" and other["overall"]["nrr_pct"] is None
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["csm1"],
            "track_revenue_expansion",
            {"start": clock.today().isoformat(), "end": clock.today().isoformat()},
        )
    assert err.value.details["errors"][0]["field"] == "start"


@pytest.mark.date_sensitive
def test_clv_from_arr_margin_and_measured_retention(staff, settings):
    settings.CLV_GROSS_MARGIN = 0.8
    book = _revenue_book(staff)
    out = call_tool(staff["csm1"], "optimize_customer_lifetime_value", {"limit": 2})
    [smb] = out["tiers"]
    # 4 accounts paid a year ago, 3 still do: retention 75 %, lifetime 1/0.25 = 4 years.
    assert (smb["cohort_accounts"], smb["retained"], smb["retention_pct"]) == (4, 3, 75.0)
    assert (smb["lifetime_years"], smb["lifetime_capped"]) == (4.0, False)
    # Active accounts with a reporting ARR: A 12 000, B 15 000, D 5 000, E 11 000, F 0.
    assert (smb["accounts"], smb["arr_reporting"]) == (5, "43000.00")
    assert smb["clv_total"] == "137600.00"  # 43 000 × 0.8 × 4
    assert smb["clv_if_retention_plus_5pts"] == "172000.00"  # 80 %: 5 years
    assert [(a["account_id"], a["clv"]) for a in out["accounts"]] == [
        (book["b"].pk, "48000.00"),
        (book["a"].pk, "38400.00"),
    ]
    assert out["gross_margin"] == 0.8
