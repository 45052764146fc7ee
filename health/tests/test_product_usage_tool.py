"""analyze_product_usage: concrete figures from constructed adoption and usage rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from cs_platform.core import clock
from cs_platform.core.actors import actor_for_user
from cs_platform.core.errors import InvalidInput, NotFound
from cs_platform.core.tools import invoke_tool
from customers.models import Account
from health.models import Feature, FeatureAdoption, UsageDaily
from integrations.models import Connection, FeatureUsageDay

pytestmark = pytest.mark.django_db


def analyze(user, **payload):
    return invoke_tool("analyze_product_usage", actor_for_user(user, channel="command"), payload)


@pytest.fixture
def usage(staff):
    """csm1: Acme (Mixpanel-fed) and Beta (API-fed); csm2: Gamma (must never count)."""
    today = clock.today()
    day = lambda n: today - timedelta(days=n)  # noqa: E731
    acme = Account.objects.create(name="Acme", owner=staff["csm1"])
    beta = Account.objects.create(name="Beta", owner=staff["csm1"])
    gamma = Account.objects.create(name="Gamma", owner=staff["csm2"])
    dashboards = Feature.objects.create(key="dashboards", name="Dashboards", category="core")
    exports = Feature.objects.create(key="exports", name="Exports", category="data")
    alerts = Feature.objects.create(key="alerts", name="Alerts", category="core")

    def adopt(account, feature, first, last, events):
        FeatureAdoption.objects.create(
            account=account,
            feature=feature,
            first_used_on=day(first),
            last_used_on=day(last),
            events_total=events,
        )

    adopt(acme, dashboards, 90, 2, 120)
    adopt(acme, exports, 80, 40, 30)  # last used before the 30-day window
    adopt(beta, dashboards, 20, 10, 50)
    adopt(gamma, dashboards, 50, 1, 999)
    adopt(gamma, alerts, 50, 1, 999)
    mixpanel = Connection.objects.create(
        provider="mixpanel", name="mp", base_url="http://mixpanel.test", credentials={}
    )
    for account, feature, back, events in [
        (acme, dashboards, 2, 7),
        (acme, dashboards, 5, 3),
        (acme, dashboards, 45, 100),  # outside the window
        (gamma, dashboards, 1, 500),  # another book
    ]:
        FeatureUsageDay.objects.create(
            connection=mixpanel, account=account, feature=feature, date=day(back), events=events
        )
    for back in range(3):
        UsageDaily.objects.create(
            account=acme, date=day(back), active_users=4, sessions=6, events=100, source="mixpanel"
        )
    UsageDaily.objects.create(
        account=beta, date=day(1), active_users=2, sessions=2, events=10, source="api"
    )
    UsageDaily.objects.create(
        account=beta, date=day(40), active_users=9, sessions=9, events=900, source="api"
    )
    UsageDaily.objects.create(
        account=gamma, date=day(1), active_users=50, sessions=50, events=5000, source="api"
    )
    return {"acme": acme, "beta": beta, "gamma": gamma}


@pytest.mark.date_sensitive
def test_feature_view_counts_adoption_in_the_csms_book(staff, usage):
    out = analyze(staff["csm1"], days=30)

    assert out["accounts_in_scope"] == 2
    assert out["usage"] == {
        "accounts_with_usage": 2,
        "days_with_data": 4,
        "active_user_days": 14,
        "sessions": 20,
        "events": 310,
    }
    assert out["sources"] == [
        {"source": "mixpanel", "rows": 3, "accounts": 1, "events": 300},
        {"source": "api", "rows": 1, "accounts": 1, "events": 10},
    ]
    rows = {f["key"]: f for f in out["features"]}
    assert [f["key"] for f in out["features"]] == ["dashboards", "alerts", "exports"]
    assert rows["dashboards"] == {
        "key": "dashboards",
        "name": "Dashboards",
        "category": "core",
        "accounts_using": 2,
        "accounts_adopted": 2,
        "share_of_accounts": 1.0,
        "events_total": 170,
        "events_in_window": 10,
    }
    assert rows["exports"]["accounts_using"] == 0 and rows["exports"]["accounts_adopted"] == 1
    assert rows["exports"]["events_total"] == 30 and rows["exports"]["share_of_accounts"] == 0.0
    assert rows["alerts"]["accounts_adopted"] == 0  # only csm2's account uses it

    narrow = analyze(staff["csm1"], days=7)
    dashboards = next(f for f in narrow["features"] if f["key"] == "dashboards")
    assert dashboards["accounts_using"] == 1 and dashboards["share_of_accounts"] == 0.5


@pytest.mark.date_sensitive
def test_account_view_ranks_accounts_and_their_top_features(staff, usage):
    out = analyze(staff["csm1"], view="accounts", days=30, top_features=1)

    assert [a["name"] for a in out["accounts"]] == ["Acme", "Beta"]
    acme, beta = out["accounts"]
    assert acme["account_id"] == usage["acme"].pk
    assert (acme["events_in_window"], acme["active_days"]) == (300, 3)
    assert (acme["features_used_in_window"], acme["features_adopted"]) == (1, 2)
    assert [f["key"] for f in acme["top_features"]] == ["dashboards"]
    assert acme["top_features"][0]["events_in_window"] == 10
    assert acme["top_features"][0]["events_total"] == 120
    assert (beta["events_in_window"], beta["active_days"]) == (10, 1)

    one = analyze(staff["manager"], view="accounts", account_id=usage["gamma"].pk)
    assert one["accounts_in_scope"] == 1 and one["accounts"][0]["events_in_window"] == 5000
    assert {f["key"] for f in one["accounts"][0]["top_features"]} == {"dashboards", "alerts"}


@pytest.mark.date_sensitive
def test_pages_with_a_fixed_number_of_queries(staff, usage, django_assert_max_num_queries):
    seen, cursors, cursor = [], [], None
    for _ in range(3):
        payload = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        with django_assert_max_num_queries(6):
            page = analyze(staff["csm1"], **payload)
        seen += [f["key"] for f in page["features"]]
        cursor = page["page"]["next_cursor"]
        cursors.append(cursor)
    assert seen == ["dashboards", "alerts", "exports"] and cursor is None
    with pytest.raises(InvalidInput) as err:
        analyze(staff["csm1"], view="accounts", cursor=cursors[0])  # a features cursor
    assert err.value.details["errors"][0]["field"] == "cursor"
    accounts, cursor = [], None
    for _ in range(2):
        payload = {"view": "accounts", "limit": 1, **({"cursor": cursor} if cursor else {})}
        with django_assert_max_num_queries(6):
            page = analyze(staff["csm1"], **payload)
        accounts += [a["name"] for a in page["accounts"]]
        cursor = page["page"]["next_cursor"]
    assert accounts == ["Acme", "Beta"] and cursor is None


@pytest.mark.date_sensitive
def test_scope_and_missing_data(staff, usage):
    with pytest.raises(NotFound):
        analyze(staff["csm1"], account_id=usage["gamma"].pk)
    out = analyze(staff["csm2"], days=30)
    assert out["accounts_in_scope"] == 1
    assert out["sources"] == [{"source": "api", "rows": 1, "accounts": 1, "events": 5000}]
    empty = analyze(staff["viewer"], days=1, account_id=usage["beta"].pk)
    assert empty["usage"]["days_with_data"] == 0 and empty["sources"] == []
