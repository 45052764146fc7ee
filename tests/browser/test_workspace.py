"""The CS workspace in headless Chromium: a CSM answers "which of my accounts renewing in
the next 90 days are red, and why?" from the dashboard, opens the account's 360 and acts
on it; a manager filters by owner; a CSM's dashboard shows nothing of another book."""

from __future__ import annotations

import pytest

from customers.models import CTA
from portfolio.tests.histories import score_history, turn_red


@pytest.fixture
def at_risk(portfolio):
    """csm1's declining account and csm2's one turned red; csm1's healthy one stays green."""
    score_history(portfolio["healthy"])
    turn_red(portfolio["declining"])
    turn_red(portfolio["other_csm"])
    return portfolio


def risk_rows(browser) -> list[dict[str, str]]:
    rows = browser.wait_for("#renewals-at-risk tr.cs-risk-row")
    out = []
    for row in rows:
        cells = [c.text for c in row.find_elements("css selector", "td")]
        out.append(
            {
                "account": cells[0],
                "band": row.get_attribute("data-band"),
                "renews": cells[4],
                "why": cells[6],
            }
        )
    return out


@pytest.mark.date_sensitive
def test_a_csm_finds_red_renewals_and_why_then_acts_on_the_360(browser, at_risk):
    browser.sign_in("csm1")  # lands on the dashboard: the admin index
    assert browser.text("#content h1").startswith("Your book")
    rows = risk_rows(browser)
    assert [(r["account"], r["band"]) for r in rows] == [("Fixture 002", "red")]
    assert "in 65 days" in rows[0]["renews"]
    assert rows[0]["why"] and "points" in rows[0]["why"]  # the measure that moved, in words
    # Nothing of csm2's book anywhere on csm1's dashboard.
    assert at_risk["other_csm"].name not in browser.driver.page_source
    assert browser.console_errors() == []

    browser.driver.find_element("link text", "Fixture 002").click()
    assert browser.text("#health-band") == "red"
    score = browser.text("#health-score")
    assert len(score.split(".")[-1]) == 1  # one decimal
    assert browser.wait_for("#health-trend svg.cs-chart-line")
    assert "SLA breached" in browser.text("#tickets")
    assert browser.text("#change-summary").startswith("Health fell")

    form = browser.wait_for("#action-cta-create")[0]
    form.find_element("name", "title").send_keys("Call the sponsor before the renewal")
    form.find_element("css selector", "[type=submit]").click()
    assert "CTA created: Call the sponsor before the renewal." in browser.text(".messagelist")
    assert "Call the sponsor before the renewal" in browser.text("#ctas")
    assert CTA.objects.filter(account=at_risk["declining"], title__startswith="Call the").exists()

    browser.wait_for("#action-recalculate button")[0].click()
    assert browser.text(".messagelist").startswith("Health recalculated:")
    assert browser.console_errors() == []


@pytest.mark.date_sensitive
def test_a_manager_sees_every_book_and_filters_by_owner(browser, at_risk, staff):
    browser.sign_in("manager")
    assert browser.text("#content h1").startswith("All books")
    names = {r["account"] for r in risk_rows(browser)}
    assert names == {"Fixture 002", "Fixture 003"}
    select = browser.wait_for("#id_owner")[0]
    select.find_element("css selector", f"option[value='{staff['csm2'].pk}']").click()
    browser.driver.find_element("css selector", "#owner-filter button").click()
    browser.wait_for("#id_owner option[selected]")
    assert {r["account"] for r in risk_rows(browser)} == {"Fixture 003"}
    assert "Fixture 002" not in browser.driver.page_source
    assert browser.console_errors() == []


@pytest.mark.date_sensitive
def test_my_day_opens_the_360_at_the_action(browser, at_risk):
    browser.sign_in("csm1")
    browser.driver.find_element("id", "my-day-link").click()
    assert browser.text("#turned-red")
    link = browser.wait_for("#turned-red a")[0]
    assert link.text == "Fixture 002"
    link.click()
    assert browser.path.endswith(f"/{at_risk['declining'].pk}/change/")
    assert browser.text("#health-why")
    assert browser.console_errors() == []
