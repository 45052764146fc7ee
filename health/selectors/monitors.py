"""Reads over monitor configuration and run history, for the monitor controls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q

from cs_platform.core.actors import Actor
from cs_platform.core.errors import NotFound
from customers.models import CTA, OPEN_CTA
from customers.selectors import account_list_for_actor
from health.models import MonitorConfig, MonitorRun, MonitorRunStatus


def monitor_runs_latest(keys: list[str], *, per_key: int) -> dict[str, list[MonitorRun]]:
    """The `per_key` newest runs of each monitor (one query per monitor, few monitors)."""
    return {
        key: list(
            MonitorRun.objects.filter(monitor__key=key).order_by("-started_at", "-pk")[:per_key]
        )
        for key in keys
    }


def monitor_run_counts(keys: list[str], *, since: datetime) -> dict[str, dict[str, int]]:
    """Per monitor: runs and failed runs started since `since`, and queued runs now."""
    rows = (
        MonitorConfig.objects.filter(key__in=keys)
        .annotate(
            recent=Count("runs", filter=Q(runs__started_at__gte=since)),
            failed=Count(
                "runs",
                filter=Q(runs__started_at__gte=since, runs__status=MonitorRunStatus.FAILED),
            ),
            queued=Count("runs", filter=Q(runs__status=MonitorRunStatus.QUEUED)),
        )
        .values("key", "recent", "failed", "queued")
    )
    return {r["key"]: r for r in rows}


def monitor_open_ctas_for_actor(actor: Actor, keys: list[str]) -> dict[str, int]:
    """Open CTAs each monitor raised (CTA.source is the monitor key), in the actor's book."""
    rows = (
        CTA.objects.filter(OPEN_CTA, source__in=keys, account__in=account_list_for_actor(actor))
        .order_by()
        .values("source")
        .annotate(n=Count("id"))
    )
    return {r["source"]: r["n"] for r in rows}


def monitor_run_get(run_id: int) -> MonitorRun:
    run = MonitorRun.objects.select_related("monitor").filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"no monitor run {run_id}", details={"field": "run_id"})
    return run


def monitor_next_due(config: MonitorConfig | None) -> datetime | None:
    if config is None or not config.enabled or config.last_run_at is None:
        return None
    return config.last_run_at + timedelta(minutes=config.interval_minutes)


def run_row(run: MonitorRun) -> dict[str, Any]:
    return {
        "run_id": run.pk,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "accounts_scanned": run.accounts_scanned,
        "findings": run.findings,
        "ctas_created": run.ctas_created,
        "error": run.error or None,
    }
