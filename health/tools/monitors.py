"""Monitor controls: the monitors' configuration rows and run history, manual runs
through the Celery task, and their status. A monitor without a scan yet is reported as
`implemented: false` and refuses to be configured or triggered (`not_implemented`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction

from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, PermissionDenied, field_error
from cs_platform.core.models import Role
from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_list_for_actor
from health.models import MonitorConfig, MonitorKey
from health.monitor_tasks import monitor_run_task
from health.selectors.monitors import (
    monitor_next_due,
    monitor_open_ctas_for_actor,
    monitor_run_counts,
    monitor_run_get,
    monitor_runs_latest,
    run_row,
)
from health.services.monitors import (
    MONITORS,
    monitor_config_update,
    monitor_configs_ensure,
    monitor_run_request,
)
from health.tools.monitors_contracts import (
    ConfigureAutonomousWorkerInput,
    ConfigureAutonomousWorkerOutput,
    GetAutonomousStatusInput,
    GetAutonomousStatusOutput,
    GetWorkerConfigInput,
    GetWorkerConfigOutput,
    ListAvailableWorkersInput,
    ListAvailableWorkersOutput,
    TriggerWorkerNowInput,
    TriggerWorkerNowOutput,
)

ALL_KEYS = list(MonitorKey.values)


def _implemented(key: str) -> None:
    if key not in MONITORS:
        raise Conflict(
            f"monitor {key} is not implemented yet: it has no scan and never runs",
            code="not_implemented",
            details={"field": "key", "implemented": sorted(MONITORS)},
        )


def _manager(ctx: ToolContext, what: str) -> None:
    if not (ctx.actor.role == Role.MANAGER or ctx.actor.user.is_superuser):
        raise PermissionDenied(
            f"{what} is for CS managers: monitors act on every book",
            details={"field": "key", "role": ctx.actor.role},
        )


def _worker(key: str, config: MonitorConfig | None) -> dict[str, Any]:
    spec = MONITORS.get(key)
    return {
        "key": key,
        "name": MonitorKey(key).label,
        "implemented": spec is not None,
        "description": spec.description if spec else None,
        "cta_reason": spec.reason if spec else None,
        "enabled": config.enabled if config else None,
        "interval_minutes": config.interval_minutes if config else None,
        "last_run_at": config.last_run_at if config else None,
        "next_due_at": monitor_next_due(config),
    }


def _thresholds(key: str, config: MonitorConfig) -> list[dict[str, Any]]:
    spec = MONITORS[key]
    current = spec.validate(config.thresholds)
    return [
        {
            "name": name,
            "value": current[name],
            "default": t.default,
            "help": t.help,
            "minimum": t.minimum,
            "maximum": t.maximum,
            "choices": list(t.choices) if t.choices else None,
        }
        for name, t in spec.all_thresholds().items()
    ]


@tool(permission="read", read_only=True)
def list_available_workers(
    ctx: ToolContext, params: ListAvailableWorkersInput
) -> ListAvailableWorkersOutput:
    """The monitors (Celery beat workers) with whether each is implemented, what it
    looks for, the CTA reason it raises, enabled flag, interval, last and next run."""
    configs = monitor_configs_ensure()
    return ListAvailableWorkersOutput(
        as_of=ctx.now,
        workers=[
            _worker(k, configs.get(k))
            for k in ALL_KEYS
            if k in MONITORS or not params.implemented_only
        ],
    )


@tool(permission="read", read_only=True)
def get_worker_config(ctx: ToolContext, params: GetWorkerConfigInput) -> GetWorkerConfigOutput:
    """One monitor's stored configuration: enabled, interval, every threshold with its
    value, default, bounds and meaning, and its 5 latest runs."""
    _implemented(params.key)
    config = monitor_configs_ensure()[params.key]
    runs = monitor_runs_latest([params.key], per_key=5)[params.key]
    return GetWorkerConfigOutput(
        as_of=ctx.now,
        worker=_worker(params.key, config),
        thresholds=_thresholds(params.key, config),
        recent_runs=[run_row(r) for r in runs],
    )


@tool(permission="write", read_only=False, idempotent=True)
def configure_autonomous_worker(
    ctx: ToolContext, params: ConfigureAutonomousWorkerInput
) -> ConfigureAutonomousWorkerOutput:
    """Managers: change a monitor's enabled flag, interval or thresholds; unknown names
    and out-of-range values fail naming each. Returns the changes and new config."""
    _manager(ctx, "configure_autonomous_worker")
    _implemented(params.key)
    if params.enabled is None and params.interval_minutes is None and params.thresholds is None:
        raise field_error(
            "enabled", "give enabled, interval_minutes or thresholds", code="required"
        )
    diff = monitor_config_update(
        key=params.key,
        enabled=params.enabled,
        interval_minutes=params.interval_minutes,
        thresholds=params.thresholds,
        actor=ctx.actor,
    )
    config = MonitorConfig.objects.get(key=params.key)
    ctx.audit(config, changes={"diff": diff})
    return ConfigureAutonomousWorkerOutput(
        as_of=ctx.now,
        changed=[{"field": f, **v} for f, v in diff.items()],
        worker=_worker(params.key, config),
        thresholds=_thresholds(params.key, config),
    )


@tool(permission="write", read_only=False, idempotent=False)
def trigger_worker_now(ctx: ToolContext, params: TriggerWorkerNowInput) -> TriggerWorkerNowOutput:
    """Managers: run a monitor now. Stores a `queued` run and enqueues the Celery task
    after commit; poll get_autonomous_status(run_id) for succeeded/failed, findings and
    CTAs. A manual run already waiting is returned instead of a second one."""
    _manager(ctx, "trigger_worker_now")
    _implemented(params.key)
    run, created = monitor_run_request(key=params.key, actor=ctx.actor, now=ctx.now)
    if created:
        key, run_id = params.key, run.pk
        transaction.on_commit(lambda: monitor_run_task.delay(key, "manual", run_id))
    ctx.audit(run, changes={"monitor": params.key, "queued": created})
    return TriggerWorkerNowOutput(
        as_of=ctx.now,
        key=params.key,
        run_id=run.pk,
        status=run.status,
        already_queued=not created,
    )


def _run_detail(actor: Actor, run_id: int) -> dict[str, Any]:
    run = monitor_run_get(run_id)
    details = {k: v for k, v in (run.details or {}).items() if not k.endswith("_ids")}
    found = run.details.get("finding_account_ids") or []
    in_scope = list(
        account_list_for_actor(actor)
        .filter(pk__in=found)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return {
        "key": run.monitor.key,
        **run_row(run),
        "details": details,
        "finding_account_ids_in_scope": in_scope,
    }


@tool(permission="read", read_only=True)
def get_autonomous_status(
    ctx: ToolContext, params: GetAutonomousStatusInput
) -> GetAutonomousStatusOutput:
    """Per monitor: last run (status, findings, CTAs, error), runs and failures in the last
    24 h, queued manual runs, open CTAs it raised in your book, next due time. `run_id`
    adds that run with its details (thresholds used, counts, your accounts it flagged)."""
    keys = [params.key] if params.key else ALL_KEYS
    configs = monitor_configs_ensure()
    latest = monitor_runs_latest([k for k in keys if k in configs], per_key=1)
    counts = monitor_run_counts(keys, since=ctx.now - timedelta(hours=24))
    open_ctas = monitor_open_ctas_for_actor(ctx.actor, keys)
    rows = []
    for key in keys:
        c = counts.get(key, {})
        last = latest.get(key) or []
        rows.append(
            {
                "key": key,
                "implemented": key in MONITORS,
                "enabled": configs[key].enabled if key in configs else None,
                "last_run": run_row(last[0]) if last else None,
                "runs_last_24h": c.get("recent", 0),
                "failed_last_24h": c.get("failed", 0),
                "queued": c.get("queued", 0),
                "open_ctas_in_scope": open_ctas.get(key, 0),
                "next_due_at": monitor_next_due(configs.get(key)),
            }
        )
    run = _run_detail(ctx.actor, params.run_id) if params.run_id else None
    return GetAutonomousStatusOutput(as_of=ctx.now, monitors=rows, run=run)
