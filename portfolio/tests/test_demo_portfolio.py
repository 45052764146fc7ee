"""The health engine on the seeded demo portfolio, not on hand-built fixtures.

These are the issue's "on demo data" checks: archetypes the seed generates with real usage
trends must come out in the order a CSM expects, the explanation of a declining account's
drop must name usage, and the backtest must find signal in the recorded renewal outcomes.
"""

from __future__ import annotations

from datetime import timedelta
from statistics import mean

import pytest
from django.core.management import call_command

from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.models import Role, StaffProfile
from cs_platform.core.tools import invoke_tool
from customers.models import Account
from health.models import HealthScore
from health.services.scoring import health_recompute_all
from portfolio.seed import Archetype, archetype_of

pytestmark = pytest.mark.django_db

SEED = 11
ACCOUNTS = 120  # six blocks of 20: every archetype six times or more


@pytest.fixture
def demo():
    call_command("seed_demo", f"--accounts={ACCOUNTS}", f"--seed={SEED}", "--reset", verbosity=0)
    now = clock.now()
    health_recompute_all(as_of=now - timedelta(days=45))
    health_recompute_all(as_of=now)
    manager = StaffProfile.objects.filter(role=Role.MANAGER).select_related("user").first()
    assert manager is not None, "seed_demo creates a manager"
    actor = actor_for_user(manager.user, channel="mcp")
    # Seeded ids restart at 1 and follow the account number.
    kinds = {n: archetype_of(SEED, n) for n in range(1, ACCOUNTS + 1)}
    return actor, kinds


def _latest_scores(kinds, *wanted) -> list[float]:
    ids = [n for n, kind in kinds.items() if kind in wanted]
    rows = HealthScore.objects.filter(latest_of__account_id__in=ids)
    return [float(r.score) for r in rows if r.score is not None]


@pytest.mark.date_sensitive
def test_growing_accounts_outscore_declining_and_quiet_ones(demo):
    _, kinds = demo
    growing = _latest_scores(kinds, Archetype.GROWING)
    declining = _latest_scores(kinds, Archetype.DECLINING, Archetype.GONE_QUIET)
    assert len(growing) >= 25 and len(declining) >= 25
    assert mean(growing) - mean(declining) > 20
    # Different inputs, different scores: not one constant for the whole portfolio.
    assert len({round(s, 1) for s in growing + declining}) > 20


@pytest.mark.date_sensitive
def test_explanations_of_declining_demo_accounts_name_usage(demo):
    """What the customer did, compared like with like: among the measures whose input
    changed (not those that only appeared, and not renewal proximity, which moves with
    the calendar whatever the customer does), usage is one of the biggest losses."""
    actor, kinds = demo
    declining = [n for n, kind in kinds.items() if kind == Archetype.DECLINING]
    named_usage = 0
    for account_id in declining:
        out = invoke_tool("explain_health_change", actor, {"account_id": account_id, "days": 40})
        losses = sorted(
            (m["contribution_delta"], m["key"])
            for m in out["measures"]
            if m["change"] == "input_changed"
            and m["key"] != "renewal_proximity"
            and m["contribution_delta"] < 0
        )
        keys = [key for _, key in losses[:3]]
        named_usage += any(k.startswith("usage") or k == "active_user_share" for k in keys)
    # Most declining accounts lost score on usage between the two snapshots.
    assert named_usage >= len(declining) * 0.7


@pytest.mark.date_sensitive
def test_backtest_finds_signal_in_the_demo_renewal_outcomes(demo):
    actor, _ = demo
    out = invoke_tool("backtest_scorecard", actor, {"min_coverage": 0.3})
    assert out["renewals_considered"] > 30 and out["rows_scored"] > 20
    assert out["churned_total"] > 0 and out["auc"] is not None
    assert out["auc"] > 0.75, out
    assert out["churned_green_share"] is not None and out["churned_green_share"] < 0.5
    assert Account.objects.count() == ACCOUNTS
