"""Account histories the workspace tests share: health scored before and after a
decline, and an account driven into the red band, all through the real recompute."""

from __future__ import annotations

from datetime import timedelta

from cs_platform.core import clock
from health.models import Survey, SurveyResponse, UsageDaily
from health.services.scoring import health_recompute_accounts
from integrations.models import SupportTicket


def score_history(*accounts) -> None:
    """Snapshots 40 days ago (before the declining accounts fell) and now."""
    ids = [a.pk for a in accounts]
    health_recompute_accounts(account_ids=ids, as_of=clock.now() - timedelta(days=40))
    health_recompute_accounts(account_ids=ids, as_of=clock.now())


def sign_in(client, user) -> None:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)


def turn_red(account) -> None:
    """Scored yellow-or-better a week ago; then usage stops, urgent tickets breach their
    SLA and the sponsor answers NPS 0: scored again now, it is red."""
    health_recompute_accounts(account_ids=[account.pk], as_of=clock.now() - timedelta(days=7))
    now = clock.now()
    UsageDaily.objects.filter(account=account, date__gt=clock.today() - timedelta(days=6)).update(
        active_users=0, sessions=0, events=0, minutes=0
    )
    for n in range(8):
        SupportTicket.objects.create(
            account=account,
            subject=f"Outage {n}",
            priority="urgent",
            status="open",
            opened_at=now - timedelta(days=1, hours=n),
            sla_breached=True,
        )
    survey = Survey.objects.get(key="nps")
    for n in range(4):
        SurveyResponse.objects.create(
            survey=survey,
            kind="nps",
            account=account,
            score=0,
            responded_at=now - timedelta(hours=n),
        )
    account.payment_status = "delinquent"
    account.save(update_fields=["payment_status"])
    health_recompute_accounts(account_ids=[account.pk], as_of=now)
