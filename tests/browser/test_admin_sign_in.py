"""Each persona signs in through the admin's login form and sees their own book."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("persona", "book"),
    [
        ("manager", {"healthy", "declining", "other_csm"}),
        ("csm1", {"healthy", "declining"}),
        ("viewer", {"healthy", "declining", "other_csm"}),
    ],
)
def test_persona_signs_in_and_sees_their_book(browser, portfolio, persona, book):
    browser.sign_in(persona)
    user = browser_user = portfolio["healthy"].owner if persona == "csm1" else None
    # The admin greets by first name when there is one (the fixture's CSMs have names).
    expected = (user.first_name or persona) if browser_user else persona
    assert browser.text("#user-tools strong").casefold() == expected.casefold()
    browser.open("/admin/customers/account/")
    names = {row.text for row in browser.wait_for("#result_list tbody th a", count=len(book))}
    assert names == {portfolio[key].name for key in book}
    assert browser.console_errors() == []
