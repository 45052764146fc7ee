"""Community and advocacy programs: membership, the points ledger, leaderboards by book."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from cs_platform.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from customers.models import ProgramContribution, ProgramMember
from tests.builders import call_tool

pytestmark = [pytest.mark.django_db]


def advocacy(user, action, **payload):
    return call_tool(user, "manage_advocacy_program", {"action": action, **payload})


def test_ledger_balances_and_leaderboard(staff, two_books):
    ada, nameless, bob = two_books["ada"], two_books["nameless"], two_books["bob"]
    advocacy(staff["manager"], "create_program", program_key="champions", name="Champions")
    for user, contact in ((staff["csm1"], ada), (staff["csm1"], nameless), (staff["csm2"], bob)):
        advocacy(user, "join", program_key="champions", contact_id=contact.pk, level="gold")
    key = {"program_key": "champions"}
    advocacy(staff["csm1"], "contribute", **key, contact_id=ada.pk, contribution_kind="case_study")
    advocacy(staff["csm1"], "contribute", **key, contact_id=ada.pk, contribution_kind="referral")
    out = advocacy(
        staff["csm1"],
        "contribute",
        **key,
        contact_id=ada.pk,
        contribution_kind="review",
        points=-30,
        note="duplicate review",
    )
    assert out["member"]["balance"] == 145  # 100 + 75 − 30
    assert [r["points"] for r in out["ledger"]] == [-30, 75, 100]
    advocacy(staff["csm1"], "contribute", **key, contact_id=nameless.pk, contribution_kind="review")
    advocacy(staff["csm2"], "contribute", **key, contact_id=bob.pk, contribution_kind="speaking")
    advocacy(staff["csm2"], "contribute", **key, contact_id=bob.pk, contribution_kind="speaking")
    advocacy(staff["csm2"], "contribute", **key, contact_id=bob.pk, contribution_kind="speaking")

    mine = advocacy(staff["csm1"], "leaderboard", **key)["leaderboard"]
    assert [(r["contact_id"], r["balance"]) for r in mine] == [(ada.pk, 145), (nameless.pk, 30)]
    everyone = advocacy(staff["manager"], "leaderboard", **key)["leaderboard"]
    assert [r["balance"] for r in everyone] == [240, 145, 30]
    [program] = advocacy(staff["csm1"], "list_programs")["programs"]
    assert (program["members_in_book"], program["points_in_book"]) == (2, 175)
    assert advocacy(staff["manager"], "list_programs")["programs"][0]["points_in_book"] == 415
    # A community program with the same people is a separate ledger.
    assert (
        call_tool(staff["csm1"], "manage_community", {"action": "list_programs"})["programs"] == []
    )

    advocacy(staff["csm1"], "leave", **key, contact_id=nameless.pk)
    assert [
        r["contact_id"] for r in advocacy(staff["csm1"], "leaderboard", **key)["leaderboard"]
    ] == [ada.pk]
    rejoined = advocacy(staff["csm1"], "join", **key, contact_id=nameless.pk)
    assert rejoined["member"]["balance"] == 30  # the ledger is kept
    assert AuditEvent.objects.filter(action="program.contribution").count() == 7


def test_bad_input_scope_and_roles_write_nothing(staff, two_books):
    ada, bob = two_books["ada"], two_books["bob"]
    with pytest.raises(PermissionDenied):
        advocacy(staff["csm1"], "create_program", program_key="champions", name="Champions")
    advocacy(staff["manager"], "create_program", program_key="champions", name="Champions")
    key = {"program_key": "champions"}
    with pytest.raises(NotFound) as err:
        advocacy(staff["csm1"], "join", **key, contact_id=bob.pk)
    assert err.value.details["field"] == "contact_id"
    advocacy(staff["csm1"], "join", **key, contact_id=ada.pk)
    with pytest.raises(Conflict):
        advocacy(staff["csm1"], "join", **key, contact_id=ada.pk)
    with pytest.raises(InvalidInput) as err:
        advocacy(staff["csm1"], "contribute", **key, contact_id=ada.pk, contribution_kind="tweet")
    assert err.value.details["errors"][0]["field"] == "points"
    with pytest.raises(InvalidInput) as err:
        advocacy(staff["csm1"], "contribute", **key, contact_id=ada.pk)
    assert err.value.details["errors"][0]["field"] == "contribution_kind"
    with pytest.raises(InvalidInput) as err:
        advocacy(staff["csm1"], "join", program_key="Not A Slug", contact_id=ada.pk)
    assert err.value.details["errors"][0]["field"] == "program_key"
    with pytest.raises(NotFound):
        call_tool(staff["csm1"], "manage_community", {"action": "leaderboard", **key})
    assert not ProgramContribution.objects.exists()
    assert ProgramMember.objects.count() == 1
