"""The demo shows the workspace's use case: every CSM's book has red and yellow accounts
renewing within 90 days whose health moved for a reason the engine states, and most red
accounts are live customers, not churned ones with no ARR."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.models import Role, StaffProfile
from customers.models import Account
from health.services.scoring import health_recompute_all
from portfolio.selectors.dashboard import dashboard_for_actor

pytestmark = pytest.mark.django_db

SEED = 42  # what `make seed` and `make run` load
ACCOUNTS = 300


@pytest.fixture
def demo():
    call_command("seed_demo", f"--accounts={ACCOUNTS}", f"--seed={SEED}", "--reset", verbosity=0)
    now = clock.now()
    health_recompute_all(as_of=now - timedelta(days=35))
    health_recompute_all(as_of=now)


@pytest.mark.date_sensitive
def test_every_csm_has_red_and_yellow_renewals_with_reasons(demo):
    csms = StaffProfile.objects.filter(role=Role.CSM).select_related("user")
    assert csms.count() >= 2
    for profile in csms:
        actor = actor_for_user(profile.user, channel="admin")
        board = dashboard_for_actor(actor, owner_id=None, today=clock.today(), now=clock.now())
        [window] = [w for w in board.renewal_windows if w["days"] == 90]
        red, yellow = window["red_accounts"], window["at_risk_accounts"] - window["red_accounts"]
        assert red >= 1 and yellow >= 1, (profile.user.username, red, yellow)
        assert board.renewals_at_risk
        for risk in board.renewals_at_risk:
            assert risk.account.owner_id == profile.user_id
            assert risk.days <= 90 and risk.account.arr > 0
            assert risk.change is not None and risk.change.previous_as_of is not None
            # The engine's own words: which measure moved and by how much.
            assert " points" in risk.change.reason or "measure" in risk.change.reason


@pytest.mark.date_sensitive
def test_red_accounts_are_mostly_live_customers(demo):
    red = Account.objects.filter(latest_health_band="red")
    live = red.filter(status="active", arr__gt=0).count()
    assert live > red.count() / 2, (live, red.count())
    # The live red accounts are the ones in crisis, renewing within 90 days.
    renewing = [
        a
        for a in red.filter(status="active")
        if a.next_open_renewal_date is not None
        and 0 <= (a.next_open_renewal_date - clock.today()).days <= 90
    ]
    assert len(renewing) >= live * 0.7, (len(renewing), live)
