"""map_customer_journey: stages from recorded stage changes, touchpoints per stage."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_platform.core import clock
from cs_platform.core.errors import NotFound
from customers.models import LifecycleStageChange
from integrations.models import SupportTicket
from tests.builders import call_tool

pytestmark = pytest.mark.django_db


def test_journey_stages_and_touchpoints(two_books, staff):
    acme = two_books["acme"]
    now = clock.now()
    LifecycleStageChange.objects.create(
        account=acme, to_stage="onboarding", reason="signed", changed_at=now - timedelta(days=40)
    )
    LifecycleStageChange.objects.create(
        account=acme,
        from_stage="onboarding",
        to_stage="adoption",
        reason="live",
        changed_at=now - timedelta(days=10),
    )
    for days in (30, 20, 5):
        SupportTicket.objects.create(
            account=acme, subject="s", opened_at=now - timedelta(days=days)
        )
    out = call_tool(staff["csm1"], "map_customer_journey", {"account_id": acme.pk})
    assert [(s["stage"], s["days"]) for s in out["stages"]] == [
        ("onboarding", 30.0),
        ("adoption", 10.0),
    ]
    assert out["stages"][0]["touchpoints"] == {"ticket_opened": 2}
    assert out["stages"][1]["touchpoints"] == {"ticket_opened": 1}
    assert out["days_since_last_touch"] == 5
    with pytest.raises(NotFound):
        call_tool(staff["csm1"], "map_customer_journey", {"account_id": two_books["globex"].pk})
