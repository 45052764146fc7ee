"""Engagement and segmentation tools: values computed from constructed rows, scope,
membership history, validation, and constant query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from cs_platform.core import clock
from cs_platform.core.errors import InvalidInput, NotFound, PermissionDenied
from customers.models import Account, LifecycleStageChange, MilestoneStatus, OnboardingPlan
from health.models import Feature, FeatureAdoption, Segment, SegmentMembership
from health.tests.builders import (
    create_account,
    create_health_score,
    create_renewal,
    create_usage_days,
)
from tests.builders import call_tool

pytestmark = pytest.mark.django_db


# --- track_usage_engagement ------------------------------------------------------------
@pytest.mark.date_sensitive
def test_usage_engagement_computes_dau_wau_mau_trend_from_rows(staff):
    account = create_account(staff["csm1"], "Acme")
    last30 = [40] * 30
    last30[19] = 55  # ten days ago: the 30-day peak
    create_usage_days(account, [80] * 30 + last30)
    out = call_tool(staff["csm1"], "track_usage_engagement", {"account_id": account.pk})
    [row] = out["accounts"]
    assert row["avg_dau_last_30"] == 40.5 and row["avg_dau_prev_30"] == 80.0
    assert (row["wau"], row["mau"]) == (40, 55)
    assert row["stickiness_pct"] == 73.6  # 40.5 / 55
    assert row["trend_pct"] == -49.4  # (1215 - 2400) / 2400
    assert row["sessions_last_30"] == 2430 and row["events_last_30"] == 18225
    assert row["last_active_date"] == clock.today().isoformat()
    assert row["missing"] == []
    assert len(row["weekly"]) == 12
    this_week = row["weekly"][-1]
    assert this_week["days_with_data"] == clock.today().weekday() + 1
    assert this_week["peak_dau"] == 40
    assert "wau" in out["definitions"] and "lower bound" in out["definitions"]["wau"]


@pytest.mark.date_sensitive
def test_usage_engagement_names_missing_data_instead_of_zeros(staff):
    empty = create_account(staff["csm1"], "Empty")
    young = create_account(staff["csm1"], "Young")
    create_usage_days(young, [10] * 20)
    [e] = call_tool(staff["csm1"], "track_usage_engagement", {"account_id": empty.pk})["accounts"]
    assert e["missing"] == ["usage"] and e["avg_dau_last_30"] is None and e["mau"] is None
    assert all(w["days_with_data"] == 0 and w["peak_dau"] is None for w in e["weekly"])
    [y] = call_tool(staff["csm1"], "track_usage_engagement", {"account_id": young.pk})["accounts"]
    assert y["trend_pct"] is None and y["avg_dau_prev_30"] is None
    assert set(y["missing"]) == {"avg_dau_prev_30", "trend_pct"}
    assert y["avg_dau_last_30"] == 6.7  # 200 user-days / 30 calendar days


@pytest.mark.date_sensitive
def test_usage_engagement_scope_and_bad_input(staff):
    account = create_account(staff["csm1"], "Acme")
    with pytest.raises(NotFound):
        call_tool(staff["csm2"], "track_usage_engagement", {"account_id": account.pk})
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["csm1"], "track_usage_engagement", {"weeks": 0})
    assert {e["field"] for e in err.value.details["errors"]} == {"weeks"}


def _segment(manager, **extra) -> dict:
    payload = {
        "action": "create",
        "segment_key": "big-ones",
        "name": "Big ones",
        "match": "all",
        "conditions": [
            {"field": "tier", "op": "in", "value": ["enterprise", "mid_market"]},
            {"field": "arr", "op": "gte", "value": 50000},
        ],
        **extra,
    }
    return call_tool(manager, "segment_customers", payload)


@pytest.mark.date_sensitive
def test_usage_engagement_pages_through_a_segment_in_scope(staff):
    for i in range(3):
        a = create_account(staff["csm1"], f"Big {i}", tier="enterprise", arr=Decimal("90000"))
        create_usage_days(a, [10 + i] * 5)
    create_account(staff["csm2"], "Not mine", tier="enterprise", arr=Decimal("90000"))
    _segment(staff["manager"])
    first = call_tool(
        staff["csm1"], "track_usage_engagement", {"segment_key": "big-ones", "limit": 2}
    )
    assert [r["name"] for r in first["accounts"]] == ["Big 0", "Big 1"]
    assert first["page"]["has_next"]
    second = call_tool(
        staff["csm1"],
        "track_usage_engagement",
        {"segment_key": "big-ones", "limit": 2, "cursor": first["page"]["next_cursor"]},
    )
    assert [r["name"] for r in second["accounts"]] == ["Big 2"]
    assert second["accounts"][0]["mau"] == 12 and not second["page"]["has_next"]


@pytest.mark.date_sensitive
def test_usage_engagement_segment_queries_do_not_grow(staff):
    def build(n, offset):
        for i in range(n):
            a = create_account(
                staff["csm1"], f"E {offset + i}", tier="enterprise", arr=Decimal("60000")
            )
            create_usage_days(a, [5] * 40)

    build(2, 0)
    _segment(staff["manager"])
    payload = {"segment_key": "big-ones", "limit": 50}
    with CaptureQueriesContext(connection) as small:
        assert len(call_tool(staff["manager"], "track_usage_engagement", payload)["accounts"]) == 2
    build(6, 10)
    call_tool(
        staff["manager"], "segment_customers", {"action": "evaluate", "segment_key": "big-ones"}
    )
    with CaptureQueriesContext(connection) as large:
        assert len(call_tool(staff["manager"], "track_usage_engagement", payload)["accounts"]) == 8
    assert len(large) == len(small)


# --- segment_customers -----------------------------------------------------------------
@pytest.mark.date_sensitive
def test_segment_membership_records_entries_exits_and_reentry(staff):
    a = create_account(staff["csm1"], "A", tier="enterprise", arr=Decimal("60000"))
    b = create_account(staff["csm1"], "B", tier="mid_market", arr=Decimal("75000"))
    create_account(staff["csm2"], "C", tier="smb", arr=Decimal("90000"))
    out = _segment(staff["manager"])
    assert out["evaluation"] == {"entered": 2, "exited": 0, "current": 2}
    segment = Segment.objects.get(key="big-ones")
    assert segment.rules["conditions"][1] == {"field": "arr", "op": "gte", "value": 50000}

    Account.objects.filter(pk=a.pk).update(tier="smb")
    out = call_tool(
        staff["manager"], "segment_customers", {"action": "evaluate", "segment_key": "big-ones"}
    )
    assert out["evaluation"] == {"entered": 0, "exited": 1, "current": 1}
    stay = SegmentMembership.objects.get(account=a)
    assert stay.exited_at is not None and stay.exited_at >= stay.entered_at

    Account.objects.filter(pk=a.pk).update(tier="enterprise")
    out = call_tool(
        staff["manager"], "segment_customers", {"action": "evaluate", "segment_key": "big-ones"}
    )
    assert out["evaluation"] == {"entered": 1, "exited": 0, "current": 2}
    stays = list(SegmentMembership.objects.filter(account=a).order_by("entered_at"))
    assert len(stays) == 2 and stays[0].exited_at is not None and stays[1].exited_at is None
    assert SegmentMembership.objects.filter(account=b).count() == 1

    history = call_tool(
        staff["csm1"],
        "segment_customers",
        {"action": "members", "segment_key": "big-ones", "include_exited": True},
    )
    assert [(m["name"], m["exited_at"] is None) for m in history["members"]] == [
        ("A", False),
        ("B", True),
        ("A", True),
    ]
    assert history["segment"]["members_in_scope"] == 2
    other = call_tool(staff["csm2"], "segment_customers", {"action": "list"})
    assert other["segments"][0]["members_in_scope"] == 0  # csm2's C is smb: not a member


@pytest.mark.date_sensitive
def test_segment_rules_over_computed_metrics(staff):
    declining = create_account(staff["csm1"], "Declining")
    create_usage_days(declining, [80] * 30 + [40] * 30)
    create_health_score(declining, 42, "red")
    create_renewal(declining, 45)
    steady = create_account(staff["csm1"], "Steady")
    create_usage_days(steady, [50] * 60)
    create_health_score(steady, 81, "green")
    create_renewal(steady, 200)
    unscored = create_account(staff["csm1"], "Unscored")

    def members(conditions, match="all"):
        key = f"s{Segment.objects.count()}"
        call_tool(
            staff["manager"],
            "segment_customers",
            {
                "action": "create",
                "segment_key": key,
                "name": key,
                "match": match,
                "conditions": conditions,
            },
        )
        ids = SegmentMembership.objects.filter(segment__key=key, exited_at__isnull=True)
        return set(ids.values_list("account_id", flat=True))

    assert members([{"field": "usage_trend_pct", "op": "lte", "value": -30}]) == {declining.pk}
    assert members([{"field": "health_score", "op": "lt", "value": 50}]) == {declining.pk}
    assert members([{"field": "health_score", "op": "is_missing"}]) == {unscored.pk}
    assert members([{"field": "health_band", "op": "neq", "value": "green"}]) == {
        declining.pk,
        unscored.pk,
    }
    assert members([{"field": "days_to_renewal", "op": "between", "value": [0, 90]}]) == {
        declining.pk
    }
    assert members(
        [
            {"field": "days_to_renewal", "op": "gt", "value": 100},
            {"field": "days_since_last_active", "op": "is_missing"},
        ],
        match="any",
    ) == {steady.pk, unscored.pk}


@pytest.mark.date_sensitive
def test_segment_dry_run_invalid_rules_and_permissions(staff):
    create_account(staff["csm1"], "A", tier="enterprise", arr=Decimal("60000"))
    dry = _segment(staff["manager"], dry_run=True)
    assert dry["dry_run"] and dry["evaluation"]["entered"] == 1
    assert Segment.objects.count() == 0 and SegmentMembership.objects.count() == 0
    with pytest.raises(InvalidInput) as err:
        _segment(
            staff["manager"],
            conditions=[
                {"field": "tier", "op": "gt", "value": 1},
                {"field": "industry", "op": "eq", "value": "banking"},
                {"field": "arr", "op": "between", "value": [10, 5]},
            ],
        )
    fields = {e["field"] for e in err.value.details["errors"]}
    assert fields == {"conditions.0.op", "conditions.1.value", "conditions.2.value"}
    with pytest.raises(PermissionDenied):
        _segment(staff["csm1"])
    with pytest.raises(PermissionDenied):
        _segment(staff["viewer"])
    assert Segment.objects.count() == 0 and not AuditEvent.objects.exists()


@pytest.mark.date_sensitive
def test_segment_evaluation_queries_do_not_grow(staff):
    payload = {"action": "evaluate", "segment_key": "big-ones"}

    def churn_members_and_add(n_out, n_in, prefix):
        ids = list(
            SegmentMembership.objects.filter(exited_at__isnull=True).values_list(
                "account_id", flat=True
            )[:n_out]
        )
        Account.objects.filter(pk__in=ids).update(tier="smb")
        for i in range(n_in):
            create_account(staff["csm2"], f"{prefix}{i}", tier="enterprise", arr=Decimal("70000"))
        with CaptureQueriesContext(connection) as ctx:
            ev = call_tool(staff["manager"], "segment_customers", payload)["evaluation"]
        return ev, len(ctx)

    _segment(staff["manager"], evaluate=False)
    assert churn_members_and_add(0, 3, "A")[0]["entered"] == 3
    small, small_queries = churn_members_and_add(1, 2, "B")
    assert small == {"entered": 2, "exited": 1, "current": 4}
    large, large_queries = churn_members_and_add(4, 12, "C")
    assert large == {"entered": 12, "exited": 4, "current": 12}
    assert large_queries == small_queries


# --- track_feature_adoption ------------------------------------------------------------
@pytest.mark.date_sensitive
def test_feature_adoption_per_account_and_portfolio(staff):
    today = clock.today()
    reports = Feature.objects.create(key="reports", name="Reports", category="analytics")
    alerts = Feature.objects.create(key="alerts", name="Alerts", category="ops")
    Feature.objects.create(key="sso", name="SSO", category="admin")
    Feature.objects.create(key="beta", name="Beta", is_tracked=False)
    a = create_account(staff["csm1"], "A", seats_licensed=50)
    b = create_account(staff["csm1"], "B")
    create_account(staff["csm1"], "C")
    create_account(staff["csm2"], "Other")

    def adopt(account, feature, last_days_ago, users):
        FeatureAdoption.objects.create(
            account=account,
            feature=feature,
            first_used_on=today - timedelta(days=90),
            last_used_on=today - timedelta(days=last_days_ago),
            events_total=500,
            users_last_30d=users,
        )

    adopt(a, reports, 3, 20)
    adopt(a, alerts, 60, 0)
    adopt(b, reports, 40, 0)
    out = call_tool(staff["csm1"], "track_feature_adoption", {"account_id": a.pk})
    assert out["breadth"] == {
        "tracked_features": 3,
        "used_ever": 2,
        "used_last_30d": 1,
        "breadth_pct": 33.3,
    }
    rows = {r["feature_key"]: r for r in out["account_features"]}
    assert set(rows) == {"alerts", "reports", "sso"}
    assert rows["reports"]["active_last_30d"] and rows["reports"]["seat_share_pct"] == 40.0
    assert rows["alerts"]["days_since_last_use"] == 60 and not rows["alerts"]["active_last_30d"]
    assert not rows["sso"]["adopted"] and rows["sso"]["events_total"] is None

    book = call_tool(staff["csm1"], "track_feature_adoption", {"limit": 2})
    assert book["accounts_in_scope"] == 3
    assert [r["feature_key"] for r in book["portfolio_features"]] == ["alerts", "reports"]
    rep = book["portfolio_features"][1]
    assert (rep["accounts_using"], rep["accounts_active_30d"], rep["adoption_pct"]) == (2, 1, 66.7)
    assert book["page"]["has_next"]
    nxt = call_tool(
        staff["csm1"], "track_feature_adoption", {"cursor": book["page"]["next_cursor"]}
    )
    assert [r["feature_key"] for r in nxt["portfolio_features"]] == ["sso"]
    c = Account.objects.get(name="C")
    none = call_tool(staff["csm1"], "track_feature_adoption", {"account_id": c.pk})
    assert none["missing"] == ["feature_adoption"] and none["breadth"]["breadth_pct"] is None


# --- manage_lifecycle_stages -----------------------------------------------------------
def test_stage_move_records_reason_history_timeline_and_audit(staff):
    account = create_account(staff["csm1"], "Acme", lifecycle_stage="adoption")
    out = call_tool(
        staff["csm1"],
        "manage_lifecycle_stages",
        {
            "action": "move",
            "account_id": account.pk,
            "to_stage": "at_risk",
            "reason": "Champion left; usage down 40%",
        },
    )
    change = LifecycleStageChange.objects.get(account=account)
    assert (change.from_stage, change.to_stage, change.changed_by) == (
        "adoption",
        "at_risk",
        staff["csm1"],
    )
    assert change.reason == "Champion left; usage down 40%"
    assert out["change"]["id"] == change.pk and out["change"]["changed_by"] == "csm1"
    account.refresh_from_db()
    assert account.lifecycle_stage == "at_risk"
    assert AuditEvent.objects.filter(action="account.stage_moved", account_id=account.pk).exists()
    timeline = call_tool(
        staff["csm1"],
        "get_client_timeline",
        {"account_id": account.pk, "kinds": ["stage_change"]},
    )
    [event] = timeline["events"]
    assert event["details"] == {
        "from": "adoption",
        "to": "at_risk",
        "reason": "Champion left; usage down 40%",
    }
    history = call_tool(
        staff["csm1"], "manage_lifecycle_stages", {"action": "history", "account_id": account.pk}
    )
    assert [h["to_stage"] for h in history["history"]] == ["at_risk"]


@pytest.mark.date_sensitive
def test_stage_move_to_churned_marks_the_account_and_bad_moves_change_nothing(staff):
    account = create_account(staff["csm1"], "Acme")
    call_tool(
        staff["manager"],
        "manage_lifecycle_stages",
        {"action": "move", "account_id": account.pk, "to_stage": "churned", "reason": "Lost"},
    )
    account.refresh_from_db()
    assert account.status == "churned" and account.churned_on == clock.today()
    with pytest.raises(InvalidInput):  # same stage
        call_tool(
            staff["manager"],
            "manage_lifecycle_stages",
            {"action": "move", "account_id": account.pk, "to_stage": "churned", "reason": "Again"},
        )
    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["manager"],
            "manage_lifecycle_stages",
            {"action": "move", "account_id": account.pk, "to_stage": "adoption"},
        )
    assert err.value.details["errors"][0]["field"] == "body"
    with pytest.raises(NotFound):
        call_tool(
            staff["csm2"],
            "manage_lifecycle_stages",
            {"action": "move", "account_id": account.pk, "to_stage": "adoption", "reason": "x" * 5},
        )
    # A viewer may read the distribution (a read action) but never move an account.
    call_tool(staff["viewer"], "manage_lifecycle_stages", {"action": "distribution"})
    with pytest.raises(PermissionDenied):
        call_tool(
            staff["viewer"],
            "manage_lifecycle_stages",
            {"action": "move", "account_id": account.pk, "to_stage": "adoption", "reason": "x" * 5},
        )
    assert LifecycleStageChange.objects.filter(account=account).count() == 1


def test_stage_distribution_is_scoped_and_measures_time_in_stage(staff):
    now = clock.now()
    a = create_account(staff["csm1"], "A", lifecycle_stage="adoption", arr=Decimal("1000"))
    b = create_account(staff["csm1"], "B", lifecycle_stage="adoption", arr=Decimal("3000"))
    create_account(staff["csm1"], "C", lifecycle_stage="renewal", arr=Decimal("500"))
    create_account(staff["csm2"], "D", lifecycle_stage="adoption", arr=Decimal("9000"))
    for acct, days in ((a, 10), (b, 40)):
        LifecycleStageChange.objects.create(
            account=acct,
            from_stage="onboarding",
            to_stage="adoption",
            changed_at=now - timedelta(days=days),
            reason="Went live",
        )
    out = call_tool(staff["csm1"], "manage_lifecycle_stages", {"action": "distribution"})
    stages = {s["stage"]: s for s in out["distribution"]}
    assert stages["adoption"]["accounts"] == 2 and stages["adoption"]["arr_total"] == "4000.00"
    assert stages["adoption"]["avg_days_in_stage"] == 25.0
    assert stages["adoption"]["entered_last_30d"] == 1
    assert stages["renewal"]["accounts"] == 1 and stages["renewal"]["avg_days_in_stage"] is None
    assert stages["churned"]["accounts"] == 0
    assert out["flows_last_30d"] == [
        {"from_stage": "onboarding", "to_stage": "adoption", "moves": 1}
    ]


# --- track_adoption_milestones ---------------------------------------------------------
@pytest.mark.date_sensitive
def test_adoption_milestones_from_onboarding_and_usage(staff):
    today = clock.today()
    now = clock.now()
    account = create_account(
        staff["csm1"], "Acme", seats_licensed=40, customer_since=today - timedelta(days=30)
    )
    create_usage_days(account, list(range(1, 31)))  # 1 user 29 days ago … 30 today
    plan = OnboardingPlan.objects.create(
        account=account,
        template="standard",
        status="in_progress",
        started_on=today - timedelta(days=30),
    )
    plan.milestones.create(
        key="kickoff",
        name="Kickoff",
        position=0,
        status=MilestoneStatus.DONE,
        completed_at=now - timedelta(days=28),
    )
    plan.milestones.create(key="sso", name="SSO", position=1, due_date=today - timedelta(days=2))
    plan.milestones.create(key="train", name="Training", position=2, due_date=today + timedelta(5))
    reports = Feature.objects.create(key="reports", name="Reports")
    FeatureAdoption.objects.create(
        account=account,
        feature=reports,
        first_used_on=today - timedelta(days=20),
        last_used_on=today,
    )
    out = call_tool(staff["csm1"], "track_adoption_milestones", {"account_id": account.pk})
    onb = out["onboarding"]
    assert (onb["milestones_total"], onb["milestones_done"], onb["milestones_overdue"]) == (3, 1, 1)
    assert onb["progress_pct"] == 33.3 and onb["milestones"][0]["days_from_start"] == 2
    usage = {u["key"]: u for u in out["usage_milestones"]}
    assert usage["first_active_day"]["days_from_start"] == 1
    assert usage["seats_25pct"]["reached_on"] == (today - timedelta(days=20)).isoformat()  # 10
    assert usage["seats_50pct"]["reached_on"] == (today - timedelta(days=10)).isoformat()  # 20
    assert usage["seats_75pct"]["reached_on"] == today.isoformat()  # 30 users
    assert usage["features_1"]["days_from_start"] == 10
    assert not usage["features_3"]["reached"] and usage["features_3"]["reached_on"] is None
    assert (out["reached"], out["total"], out["missing"]) == (6, 10, [])


# --- segment_by_value_tier -------------------------------------------------------------
def test_value_tiers_with_configurable_boundaries(staff):
    arrs = {"Tiny": "5000", "Small": "20000", "Mid": "60000", "Big": "150000", "Huge": "400000"}
    accts = {n: create_account(staff["csm1"], n, arr=Decimal(v)) for n, v in arrs.items()}
    create_account(staff["csm2"], "Hidden", arr=Decimal("999999"))
    create_account(
        staff["csm1"], "Gone", arr=Decimal("70000"), status="churned", churned_on=clock.today()
    )
    create_health_score(accts["Big"], 70, "green")
    create_health_score(accts["Huge"], 40, "red")
    out = call_tool(
        staff["csm1"],
        "segment_by_value_tier",
        {"boundaries": ["10000", "50000", "100000"], "list_tier": 3, "limit": 1},
    )
    tiers = out["tiers"]
    assert [t["accounts"] for t in tiers] == [1, 1, 1, 2]
    assert [t["label"] for t in tiers] == [
        "< 10,000",
        "10,000 – 50,000",
        "50,000 – 100,000",
        "≥ 100,000",
    ]
    top = tiers[3]
    assert top["arr_total"] == "550000.00" and top["avg_health_score"] == 55.0
    assert top["scored_accounts"] == 2 and top["health_bands"]["red"] == 1
    assert tiers[0]["avg_health_score"] is None and tiers[0]["health_bands"]["unknown"] == 1
    assert [a["name"] for a in out["accounts"]] == ["Huge"]
    nxt = call_tool(
        staff["csm1"],
        "segment_by_value_tier",
        {
            "boundaries": ["10000", "50000", "100000"],
            "list_tier": 3,
            "cursor": out["page"]["next_cursor"],
        },
    )
    assert [a["name"] for a in nxt["accounts"]] == ["Big"] and not nxt["page"]["has_next"]
    with pytest.raises(InvalidInput):
        call_tool(staff["csm1"], "segment_by_value_tier", {"boundaries": ["50000", "10000"]})
    with pytest.raises(InvalidInput):
        call_tool(
            staff["csm1"], "segment_by_value_tier", {"boundaries": ["10"], "labels": ["only"]}
        )


# --- analyze_engagement_patterns -------------------------------------------------------
@pytest.mark.date_sensitive
def test_engagement_anomalies_and_cohorts(staff):
    today = clock.today()
    dropped = create_account(staff["csm1"], "Dropped", customer_since=today - timedelta(days=90))
    create_usage_days(dropped, [48, 52] * 28 + [20] * 7)  # baseline mean 50, std 2; last week 20
    steady = create_account(staff["csm1"], "Steady", customer_since=today - timedelta(days=90))
    create_usage_days(steady, [48, 52] * 28 + [50] * 7)
    young = create_account(staff["csm1"], "Young", customer_since=today - timedelta(days=10))
    create_usage_days(young, [5] * 11)
    create_account(staff["csm2"], "Other", customer_since=today - timedelta(days=10))
    out = call_tool(staff["csm1"], "analyze_engagement_patterns", {"cohort_months": 6})
    [anomaly] = out["anomalies"]
    assert anomaly["account_id"] == dropped.pk and anomaly["direction"] == "drop"
    assert (anomaly["baseline_mean"], anomaly["baseline_std"], anomaly["recent_mean"]) == (
        50.0,
        2.0,
        20.0,
    )
    assert anomaly["z_score"] == -15.0 and anomaly["baseline_days"] == 56
    assert out["accounts_skipped_insufficient_history"] == 1
    cohorts = {c["cohort_month"]: c for c in out["cohorts"]}
    young_month = today - timedelta(days=10)
    young_cohort = cohorts[young_month.replace(day=1).isoformat()]
    assert young_cohort["accounts"] == 1  # csm2's account is out of scope
    assert young_cohort["retention"][0]["active_accounts"] == 1
    old_month = (today - timedelta(days=90)).replace(day=1)
    old = cohorts[old_month.isoformat()]
    assert old["accounts"] == 2 and old["accounts_with_usage_data"] == 2
    assert old["retention"][-1]["retention_pct"] == 100.0
    assert (
        len(old["retention"])
        == (today.year - old_month.year) * 12 + today.month - (old_month.month) + 1
    )


ACCOUNT_TOOLS = [
    ("track_usage_engagement", {}),
    ("track_feature_adoption", {}),
    ("track_adoption_milestones", {}),
    ("manage_lifecycle_stages", {"action": "history"}),
    ("manage_lifecycle_stages", {"action": "move", "to_stage": "renewal", "reason": "Renewing"}),
    ("monitor_satisfaction", {}),
    ("manage_escalations", {"action": "list"}),
    ("manage_escalations", {"action": "create", "severity": "low", "summary": "Slow"}),
    ("execute_retention_campaign", {}),
]


@pytest.mark.date_sensitive
@pytest.mark.parametrize(("name", "extra"), ACCOUNT_TOOLS)
def test_account_taking_tools_hide_other_books(staff, name, extra):
    theirs = create_account(staff["csm2"], "Theirs")
    payload = {**extra, "account_id": theirs.pk}
    if name == "execute_retention_campaign":
        payload = {"campaign_name": "Save", "account_ids": [theirs.pk]}
    before = AuditEvent.objects.count()
    with pytest.raises(NotFound):
        call_tool(staff["csm1"], name, payload)
    assert AuditEvent.objects.count() == before
    call_tool(staff["csm2"], name, payload)  # the owner may
