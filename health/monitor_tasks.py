"""Celery tasks for monitors, segments and retention campaigns. Thin: call one service.

Celery's autodiscovery imports only `<app>.tasks`; this module must be imported from
there (or `app.autodiscover_tasks(related_name="monitor_tasks")`) for a worker to know
these task names. The beat entry `monitors-run-due` calls `health.monitors_run_due`.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from cs_platform.core import clock
from health.models import MonitorRunStatus
from health.services.campaigns import campaigns_evaluate_active
from health.services.communications import communication_rules_evaluate_active
from health.services.monitors import monitor_run, monitors_run_due
from health.services.segments import segments_evaluate_all


class MonitorRunFailed(Exception):
    """Raised so the task shows as failed; the error is stored on the MonitorRun row."""


@shared_task(name="health.monitors_run_due", acks_late=True)
def monitors_run_due_task() -> dict[str, Any]:
    """Run each enabled monitor whose interval has elapsed (each records a MonitorRun)."""
    return monitors_run_due(now=clock.now())


@shared_task(name="health.monitor_run", acks_late=True)
def monitor_run_task(
    key: str, trigger: str = "manual", run_id: int | None = None
) -> dict[str, Any]:
    """Run one monitor; `run_id` is the queued MonitorRun a manual trigger created."""
    run = monitor_run(key=key, trigger=trigger, run_id=run_id)
    if run is None:
        return {"key": key, "skipped": "already running"}
    if run.status == MonitorRunStatus.FAILED:
        raise MonitorRunFailed(f"{key} run {run.pk} failed: {run.error}")
    return {
        "key": key,
        "run_id": run.pk,
        "findings": run.findings,
        "ctas_created": run.ctas_created,
    }


@shared_task(name="health.retention_campaigns_evaluate", acks_late=True)
def retention_campaigns_evaluate_task() -> dict[str, Any]:
    """Evaluate the trigger rules of every active retention campaign."""
    result = campaigns_evaluate_active(now=clock.now())
    return {"evaluated": len(result["evaluated"]), "failed": result["failed"]}


@shared_task(name="health.segments_evaluate", acks_late=True)
def segments_evaluate_task() -> dict[str, Any]:
    """Recompute every segment's membership (entries and exits are stamped now)."""
    return segments_evaluate_all(now=clock.now())


@shared_task(name="health.communication_rules_evaluate", acks_late=True)
def communication_rules_evaluate_task() -> dict[str, Any]:
    """Fire every active communication rule (once per account and window)."""
    result = communication_rules_evaluate_active(now=clock.now())
    return {"evaluated": len(result["evaluated"]), "failed": result["failed"]}
