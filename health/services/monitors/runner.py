"""Running monitors: configuration rows, MonitorRun bookkeeping, CTAs from findings.

Configuration lives in `MonitorConfig` rows (enabled, interval, thresholds), created with
documented defaults by `monitor_configs_ensure()` on first use; the beat task only decides
*when* to look (cs_platform/schedules.py). A run holds a row lock on its config
(`SKIP LOCKED`), so two workers never run the same monitor at once, and records a
`MonitorRun` whether it succeeds or fails.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import NotFound, field_error
from cs_platform.core.records import WriteServices
from cs_platform.core.services import model_update
from customers.services.ctas import cta_raise_bulk
from health.models import MonitorConfig, MonitorRun, MonitorRunStatus
from health.services.monitors import (
    churn_risk,
    cohort_drift,
    nps_csat,
    onboarding,
    retention,
    support_sla,
    upsell,
    usage_drop,
)
from health.services.monitors.base import MonitorSpec

logger = logging.getLogger(__name__)

MONITORS: dict[str, MonitorSpec] = {
    spec.key: spec
    for spec in (
        churn_risk.SPEC,
        usage_drop.SPEC,
        nps_csat.SPEC,
        retention.SPEC,
        upsell.SPEC,
        support_sla.SPEC,
        onboarding.SPEC,
        cohort_drift.SPEC,
    )
}
_IDS_KEPT = 500  # run details keep at most this many CTA ids (counts are always complete)


def monitor_spec_get(key: str) -> MonitorSpec:
    spec = MONITORS.get(key)
    if spec is None:
        raise NotFound(
            f"no monitor {key!r}; available: {', '.join(sorted(MONITORS))}",
            details={"field": "key", "key": key},
        )
    return spec


def monitor_configs_ensure() -> dict[str, MonitorConfig]:
    """Every registered monitor's config row, created with its defaults if missing.

    Idempotent and race-safe (INSERT … ON CONFLICT DO NOTHING on the unique key); existing
    rows are never overwritten, so an operator's thresholds survive upgrades.
    """
    configs = {c.key: c for c in MonitorConfig.objects.filter(key__in=list(MONITORS))}
    missing = [
        MonitorConfig(
            key=key,
            enabled=True,
            interval_minutes=spec.interval_minutes,
            thresholds=spec.defaults(),
        )
        for key, spec in MONITORS.items()
        if key not in configs
    ]
    if missing:
        MonitorConfig.objects.bulk_create(missing, ignore_conflicts=True)
        configs = {c.key: c for c in MonitorConfig.objects.filter(key__in=list(MONITORS))}
    return configs


def monitor_config_update(
    *,
    key: str,
    enabled: bool | None = None,
    interval_minutes: int | None = None,
    thresholds: dict[str, Any] | None = None,
    actor: Actor | None,
) -> dict[str, dict[str, Any]]:
    """Change a monitor's settings; thresholds are merged over the current ones and
    validated (unknown names and out-of-range values are errors). Returns before/after."""
    spec = monitor_spec_get(key)
    monitor_configs_ensure()
    if interval_minutes is not None and not 5 <= interval_minutes <= 10_080:
        raise field_error("interval_minutes", "must be between 5 and 10080 (a week)")
    with transaction.atomic():
        config = MonitorConfig.objects.select_for_update().get(key=key)
        changes: dict[str, Any] = {}
        if thresholds is not None:
            changes["thresholds"] = spec.validate({**config.thresholds, **thresholds})
        for field, value in (("enabled", enabled), ("interval_minutes", interval_minutes)):
            if value is not None:
                changes[field] = value
        diff = model_update(config, changes)
        if diff:
            audit_record(
                actor, "monitor.configured", config, changes={"diff": diff}, system="monitors"
            )
    return diff


def _queued_run(key: str, run_id: int | None) -> MonitorRun | None:
    if run_id is None:
        return None
    return MonitorRun.objects.filter(
        pk=run_id, monitor__key=key, status=MonitorRunStatus.QUEUED
    ).first()


def _record_run(queued: MonitorRun | None, config: MonitorConfig, **fields: Any) -> MonitorRun:
    """Fill the queued row a manual trigger created, or add a new one."""
    if queued is None:
        return MonitorRun.objects.create(monitor=config, **fields)
    for name, value in fields.items():
        setattr(queued, name, value)
    queued.save()
    return queued


def monitor_run_request(*, key: str, actor: Actor | None, now: datetime) -> tuple[MonitorRun, bool]:
    """A `queued` MonitorRun for a manual run of `key`, for the caller to enqueue (the
    `health.monitor_run` task with its id) once its transaction commits. When a manual
    run of this monitor is already queued, that one is returned (False: not new)."""
    monitor_spec_get(key)
    config = monitor_configs_ensure()[key]
    config = MonitorConfig.objects.select_for_update().get(pk=config.pk)
    waiting = config.runs.filter(status=MonitorRunStatus.QUEUED).order_by("pk").first()
    if waiting is not None:
        return waiting, False
    run = MonitorRun.objects.create(
        monitor=config, started_at=now, status=MonitorRunStatus.QUEUED, trigger="manual"
    )
    audit_record(actor, "monitor.run_requested", run, system="monitors", changes={"monitor": key})
    return run, True


def monitor_run(
    *,
    key: str,
    trigger: str = "schedule",
    now: datetime | None = None,
    actor: Actor | None = None,
    run_id: int | None = None,
) -> MonitorRun | None:
    """Run one monitor now and record it. Returns the `MonitorRun` (status `failed` with the
    error when the scan failed, nothing half-written), or None when another run of the
    same monitor holds the lock. `run_id` names a `queued` row (a manual trigger) that
    this run fills in; when another run holds the lock, that row is marked failed."""
    spec = monitor_spec_get(key)
    monitor_configs_ensure()
    started = now or clock.now()
    try:
        with transaction.atomic():
            config = (
                MonitorConfig.objects.select_for_update(skip_locked=True).filter(key=key).first()
            )
            if config is None:
                queued = _queued_run(key, run_id)
                if queued is not None:
                    queued.status, queued.finished_at = MonitorRunStatus.FAILED, clock.now()
                    queued.error = "another run of this monitor was in progress"
                    queued.save(update_fields=["status", "finished_at", "error"])
                return None
            queued = _queued_run(key, run_id)
            thresholds = spec.validate(config.thresholds)
            scan = spec.scan(thresholds=thresholds, now=started)
            raised = cta_raise_bulk(
                reason=spec.reason,
                source=key,
                findings=scan.findings,
                now=started,
                cooldown_days=thresholds["cooldown_days"],
                actor=actor,
            )
            run = _record_run(
                queued,
                config,
                started_at=started,
                finished_at=clock.now(),
                status=MonitorRunStatus.SUCCEEDED,
                trigger=trigger,
                accounts_scanned=scan.accounts_scanned,
                findings=len(scan.findings),
                ctas_created=len(raised.created_ids),
                details={
                    "thresholds": thresholds,
                    "ctas_updated": len(raised.updated_ids),
                    "ctas_unchanged": len(raised.unchanged_ids),
                    "skipped_cooldown": len(raised.skipped_cooldown),
                    "created_cta_ids": raised.created_ids[:_IDS_KEPT],
                    "updated_cta_ids": raised.updated_ids[:_IDS_KEPT],
                    "finding_account_ids": [f.account_id for f in scan.findings][:_IDS_KEPT],
                    **scan.details,
                },
            )
            config.last_run_at = started
            config.save(update_fields=["last_run_at", "updated_at"])
            audit_record(
                actor,
                "monitor.run",
                run,
                system=key,
                changes={
                    "monitor": key,
                    "findings": run.findings,
                    "ctas_created": run.ctas_created,
                    "ctas_updated": len(raised.updated_ids),
                },
            )
            return run
    except Exception as exc:  # recorded as a failed run, never reported as success
        logger.exception("monitor %s failed", key)
        with transaction.atomic():
            config = MonitorConfig.objects.get(key=key)
            config.last_run_at = started
            config.save(update_fields=["last_run_at", "updated_at"])
            return _record_run(
                _queued_run(key, run_id),
                config,
                started_at=started,
                finished_at=clock.now(),
                status=MonitorRunStatus.FAILED,
                trigger=trigger,
                error=f"{type(exc).__name__}: {exc}"[:2000],
            )


def monitors_due(now: datetime) -> list[str]:
    """Enabled monitors whose interval has elapsed since their last run (or never ran)."""
    due = []
    for key, config in sorted(monitor_configs_ensure().items()):
        if not config.enabled:
            continue
        last = config.last_run_at
        if last is None or now - last >= timedelta(minutes=config.interval_minutes):
            due.append(key)
    return due


def monitors_run_due(*, now: datetime | None = None) -> dict[str, Any]:
    """Run every due monitor once; returns each one's run id and status."""
    now = now or clock.now()
    results: dict[str, Any] = {}
    for key in monitors_due(now):
        run = monitor_run(key=key, trigger="schedule", now=now)
        results[key] = (
            {"skipped": "already running"}
            if run is None
            else {"run_id": run.pk, "status": run.status, "ctas_created": run.ctas_created}
        )
    return results


def _config_update(*, actor: Actor, instance: MonitorConfig, changes: dict[str, Any]) -> Any:
    return monitor_config_update(key=instance.key, actor=actor, **changes)


# Configuration rows come from the registry (`monitor_configs_ensure`): people change them,
# they do not add or delete them.
MONITOR_CONFIG_WRITES = WriteServices(
    update=_config_update, update_fields=("enabled", "interval_minutes", "thresholds")
)
