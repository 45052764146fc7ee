"""Row builders and the tool-call helper that test modules import by name (fixtures live in
the ``fixtures`` modules listed in the root ``conftest.py``)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.tools import invoke_tool


def call_tool(user, name: str, payload: dict, channel: str = "command") -> dict:
    """Run tool ``name`` as ``user`` through ``invoke_tool``, the path every channel takes."""
    return invoke_tool(name, actor_for_user(user, channel=channel), payload)


def build_account(owner, number: int, *, declining: bool, days: int = 60):
    """An account with 60 days of usage, tickets, NPS/CSAT answers, contract and renewal.

    `declining` halves usage in the last 30 days and adds urgent tickets and detractor
    answers, so two accounts built with different flags differ in every signal.
    """
    from customers.models import Account, Contact, Contract, Renewal
    from health.models import Survey, SurveyResponse, UsageDaily
    from integrations.models import SupportTicket

    now = clock.now()
    today = clock.today()
    account = Account.objects.create(
        name=f"Fixture {number:03d}",
        domain=f"fixture-{number:03d}.test",
        owner=owner,
        tier="enterprise" if declining else "smb",
        seats_licensed=100,
        arr=Decimal("120000.00") if declining else Decimal("18000.00"),
        arr_reporting=Decimal("120000.00") if declining else Decimal("18000.00"),
        payment_status="late" if declining else "current",
        customer_since=today - timedelta(days=400),
        lifecycle_stage="adoption",
    )
    Contact.objects.create(
        account=account, email=f"champ@fixture-{number:03d}.test", is_primary=True
    )
    contract = Contract.objects.create(
        account=account,
        name="Subscription",
        start_date=today - timedelta(days=300),
        end_date=today + timedelta(days=65),
        arr=account.arr,
        seats=100,
    )
    Renewal.objects.create(
        account=account,
        contract=contract,
        renewal_date=today + timedelta(days=65),
        current_arr=account.arr,
    )
    rows = []
    for back in range(days):
        day = today - timedelta(days=back)
        users = 40 if (declining and back < 30) else 80
        if not declining:
            users = 60 + (days - back) // 6
        rows.append(
            UsageDaily(
                account=account,
                date=day,
                active_users=users,
                sessions=users * 2,
                events=users * 15,
                minutes=users * 20,
            )
        )
    UsageDaily.objects.bulk_create(rows)
    nps, _ = Survey.objects.get_or_create(
        key="nps", defaults={"name": "NPS", "kind": "nps", "question": "Recommend?"}
    )
    csat, _ = Survey.objects.get_or_create(
        key="csat", defaults={"name": "CSAT", "kind": "csat", "question": "Satisfied?"}
    )
    for i, score in enumerate([2, 4, 9] if declining else [9, 10, 8]):
        SurveyResponse.objects.create(
            survey=nps,
            kind="nps",
            account=account,
            score=score,
            responded_at=now - timedelta(days=10 + i),
        )
    SurveyResponse.objects.create(
        survey=csat,
        kind="csat",
        account=account,
        score=2 if declining else 5,
        responded_at=now - timedelta(days=5),
    )
    for i, prio in enumerate(["urgent", "high", "normal"] if declining else ["low"]):
        SupportTicket.objects.create(
            account=account,
            subject=f"Issue {i}",
            priority=prio,
            status="open",
            opened_at=now - timedelta(days=3 + i),
            sla_breached=prio == "urgent",
        )
    return account


def mcp_json(result) -> dict:
    """A tool answer over MCP: the compact JSON text every answer carries (structured
    content only when the client asked for it with ``/mcp?structured=1``)."""
    import json

    if result.structuredContent is not None:
        assert json.loads(result.content[0].text) == result.structuredContent
    return json.loads(result.content[0].text)
