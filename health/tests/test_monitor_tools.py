"""Monitor controls over stored configuration and run history; the upsell detector's
findings from the expansion book; manual runs through the Celery task."""

from __future__ import annotations

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from cs_platform.core.errors import Conflict, InvalidInput, PermissionDenied
from customers.models import CTA
from health.models import MonitorConfig, MonitorKey, MonitorRun
from health.services.monitors import MONITORS, monitor_run
from tests.builders import call_tool

pytestmark = pytest.mark.django_db


def test_list_shows_all_seven_and_which_are_implemented(staff):
    out = call_tool(staff["viewer"], "list_available_workers", {})
    workers = {w["key"]: w for w in out["workers"]}
    assert list(workers) == list(MonitorKey.values)
    assert {k for k, w in workers.items() if w["implemented"]} == set(MONITORS)
    upsell = workers["upsell_detector"]
    assert (upsell["implemented"], upsell["enabled"], upsell["interval_minutes"]) == (
        True,
        True,
        1440,
    )
    assert upsell["cta_reason"] == "expansion" and upsell["last_run_at"] is None
    for key in set(MonitorKey.values) - set(MONITORS):
        assert workers[key]["enabled"] is None and workers[key]["description"] is None


def test_a_monitor_without_a_scan_is_reported_not_faked(staff, monkeypatch):
    monkeypatch.delitem(MONITORS, "nps_csat_monitor")
    listed = call_tool(staff["manager"], "list_available_workers", {})
    assert [w["implemented"] for w in listed["workers"] if w["key"] == "nps_csat_monitor"] == [
        False
    ]
    for name, payload in [
        ("get_worker_config", {"key": "nps_csat_monitor"}),
        ("trigger_worker_now", {"key": "nps_csat_monitor"}),
        ("configure_autonomous_worker", {"key": "nps_csat_monitor", "enabled": False}),
    ]:
        with pytest.raises(Conflict) as err:
            call_tool(staff["manager"], name, payload)
        assert err.value.code == "not_implemented"
    assert not MonitorRun.objects.exists()


def test_config_shows_thresholds_with_defaults_and_bounds(staff):
    out = call_tool(staff["csm1"], "get_worker_config", {"key": "upsell_detector"})
    thresholds = {t["name"]: t for t in out["thresholds"]}
    assert thresholds["seat_expansion_pct"]["value"] == 95.0
    assert thresholds["seat_headroom_pct"]["maximum"] == 200
    assert thresholds["expansion_bands"]["choices"] == [
        "green",
        "yellow",
        "red",
        "unknown",
        "insufficient_data",
    ]
    assert thresholds["cooldown_days"]["value"] == 14
    assert out["recent_runs"] == []


def test_configure_changes_the_row_validates_and_is_for_managers(staff):
    out = call_tool(
        staff["manager"],
        "configure_autonomous_worker",
        {
            "key": "upsell_detector",
            "interval_minutes": 720,
            "thresholds": {"seat_headroom_pct": 10},
        },
    )
    changed = {c["field"]: c for c in out["changed"]}
    assert set(changed) == {"interval_minutes", "thresholds"}
    assert changed["interval_minutes"]["before"] == 1440
    config = MonitorConfig.objects.get(key="upsell_detector")
    assert config.interval_minutes == 720 and config.thresholds["seat_headroom_pct"] == 10
    assert AuditEvent.objects.filter(action="tool.configure_autonomous_worker").count() == 1

    with pytest.raises(InvalidInput) as err:
        call_tool(
            staff["manager"],
            "configure_autonomous_worker",
            {"key": "upsell_detector", "enabled": False, "thresholds": {"seat_headroom_pct": 900}},
        )
    assert err.value.details["errors"][0]["field"] == "thresholds.seat_headroom_pct"
    config.refresh_from_db()
    assert config.enabled and config.thresholds["seat_headroom_pct"] == 10
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["manager"], "configure_autonomous_worker", {"key": "upsell_detector"})
    assert err.value.details["errors"][0]["field"] == "enabled"
    with pytest.raises(PermissionDenied):
        call_tool(
            staff["csm1"],
            "configure_autonomous_worker",
            {"key": "upsell_detector", "enabled": False},
        )
    assert MonitorConfig.objects.get(key="upsell_detector").enabled


@pytest.mark.date_sensitive
def test_upsell_detector_finds_the_book_figures_once(staff, expansion_book):
    run = monitor_run(key="upsell_detector", trigger="manual")
    assert (run.status, run.accounts_scanned, run.findings, run.ctas_created) == (
        "succeeded",
        6,
        1,
        1,
    )
    [cta] = CTA.objects.filter(reason="expansion")
    assert cta.account == expansion_book["crowded"] and cta.priority == "high"
    found = {(o["kind"], o["product"]): o["amount"] for o in cta.details["opportunities"]}
    assert found == {
        ("seat_expansion", "seats"): "16000.00",
        ("upsell", "tier:mid_market"): "50000.00",
        ("cross_sell", "Analytics"): "7000.00",
    }
    assert Decimal(cta.details["total_reporting"]) == Decimal("73000.00")
    again = monitor_run(key="upsell_detector", trigger="manual")
    assert (again.findings, again.ctas_created) == (1, 0)
    assert CTA.objects.filter(reason="expansion").count() == 1


@pytest.mark.date_sensitive
def test_trigger_enqueues_a_real_run_and_status_reports_it(
    staff, expansion_book, django_capture_on_commit_callbacks, audit_chain_held
):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        first = call_tool(staff["manager"], "trigger_worker_now", {"key": "upsell_detector"})
        second = call_tool(staff["manager"], "trigger_worker_now", {"key": "upsell_detector"})
    assert first["status"] == "queued" and not first["already_queued"]
    assert second["run_id"] == first["run_id"] and second["already_queued"]
    assert len(pending) == 1
    queued = call_tool(staff["csm1"], "get_autonomous_status", {"key": "upsell_detector"})
    assert queued["monitors"][0]["queued"] == 1
    pending[0]()  # the commit hook: the Celery task runs (eager in tests)
    run = MonitorRun.objects.get(pk=first["run_id"])
    assert (run.status, run.trigger, run.findings, run.ctas_created) == (
        "succeeded",
        "manual",
        1,
        1,
    )
    assert MonitorRun.objects.count() == 1

    mine = call_tool(
        staff["csm1"], "get_autonomous_status", {"key": "upsell_detector", "run_id": run.pk}
    )
    status = mine["monitors"][0]
    assert status["last_run"]["run_id"] == run.pk and status["last_run"]["status"] == "succeeded"
    assert (status["runs_last_24h"], status["failed_last_24h"], status["queued"]) == (1, 0, 0)
    assert status["open_ctas_in_scope"] == 1
    assert mine["run"]["finding_account_ids_in_scope"] == [expansion_book["crowded"].pk]
    assert mine["run"]["details"]["thresholds"]["seat_expansion_pct"] == 95.0
    other = call_tool(staff["csm2"], "get_autonomous_status", {"run_id": run.pk})
    assert other["run"]["finding_account_ids_in_scope"] == []
    assert {m["key"]: m["open_ctas_in_scope"] for m in other["monitors"]}["upsell_detector"] == 0
    assert len(other["monitors"]) == len(MONITORS)

    with pytest.raises(PermissionDenied):
        call_tool(staff["csm1"], "trigger_worker_now", {"key": "upsell_detector"})
    with pytest.raises(InvalidInput) as err:
        call_tool(staff["manager"], "trigger_worker_now", {"key": "no_such_monitor"})
    assert err.value.details["errors"][0]["field"] == "key"
    assert MonitorRun.objects.count() == 1


def test_list_can_leave_out_monitors_without_a_scan(staff, monkeypatch):
    monkeypatch.delitem(MONITORS, "usage_drop_alerts")
    out = call_tool(staff["csm1"], "list_available_workers", {"implemented_only": True})
    assert [w["key"] for w in out["workers"]] == [k for k in MonitorKey.values if k in MONITORS]
