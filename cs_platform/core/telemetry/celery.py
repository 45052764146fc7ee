"""Celery workers: task metrics, log context, a metrics endpoint and tracing.

Task outcomes and durations are counted in whichever process runs the task (a prefork
child). The worker's main process serves ``/metrics`` on ``CELERY_METRICS_PORT``,
aggregating its children through ``PROMETHEUS_MULTIPROC_DIR``: no pushgateway, and a
Prometheus scrape sees every child. Celery is told to leave logging alone, so workers log
the same JSON lines as the web processes, with the task's name and id.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import Celery, signals

from cs_platform.core.telemetry import metrics
from cs_platform.core.telemetry.logs import log_context_reset, log_context_set

logger = logging.getLogger(__name__)

TASKS = metrics.counter(
    "cs_celery_tasks_total", "Celery tasks run, by task and outcome", ["task", "outcome"]
)
TASK_SECONDS = metrics.histogram(
    "cs_celery_task_seconds",
    "Celery task run time by task",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900),
)
UNREGISTERED_TASK = "unregistered"
_OUTCOMES = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retry"}

_started: dict[str, tuple[float, Any]] = {}
_exporter_started = False


def task_metric_label(task: Any) -> str:
    """A registered task's name, else one fixed value (bounded label values)."""
    name = getattr(task, "name", None)
    app = getattr(task, "app", None)
    return name if app is not None and name in app.tasks else UNREGISTERED_TASK


def _task_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    label = task_metric_label(task)
    token = log_context_set(task=label, task_id=task_id)
    _started[task_id or ""] = (time.perf_counter(), token)


def _task_postrun(task_id: str | None = None, task: Any = None, state: str | None = None,
                  **_: Any) -> None:  # fmt: skip
    started, token = _started.pop(task_id or "", (None, None))
    label = task_metric_label(task)
    TASKS.labels(label, _OUTCOMES.get(state or "", "other")).inc()
    if started is not None:
        TASK_SECONDS.labels(label).observe(time.perf_counter() - started)
    if token is not None:
        try:
            log_context_reset(token)
        except ValueError:  # reset from another context (a thread pool): just clear it
            log_context_set(task=None, task_id=None)


def _worker_init(sender: Any = None, **_: Any) -> None:
    """Main process, before the pool starts: a clean multiprocess directory, then the
    metrics endpoint (children fork after this and write their own files). A pool that
    does not fork (solo, threads) runs tasks here, so tracing starts here for it."""
    global _exporter_started
    if not _pool_forks(getattr(sender, "pool_cls", None)):
        _worker_process_init()
    path = metrics.multiprocess_dir()
    if path:
        metrics.multiprocess_dir_reset(path)
    port = int(os.environ.get("CELERY_METRICS_PORT") or 0)
    if port and not _exporter_started:
        from prometheus_client import start_http_server

        address = os.environ.get("CELERY_METRICS_ADDRESS", "0.0.0.0")  # noqa: S104
        start_http_server(port, addr=address, registry=metrics.process_registry())
        _exporter_started = True
        logger.info("metrics endpoint listening", extra={"port": port})


def _pool_forks(pool: Any) -> bool:
    """At ``worker_init`` the pool is still the name given (``prefork``, ``solo``, ...)
    or, when passed as a class, the class."""
    name = pool if isinstance(pool, str) else getattr(pool, "__module__", "")
    return "prefork" in (name or "prefork")


def _worker_process_init(**_: Any) -> None:
    from cs_platform.core.telemetry.tracing import tracing_configure_from_env

    tracing_configure_from_env(default_service="cs-platform-worker")


def _worker_process_shutdown(pid: int | None = None, **_: Any) -> None:
    metrics.process_dead(pid or os.getpid())


def _leave_logging_alone(**_: Any) -> None:
    """Connected to ``setup_logging``: Celery then keeps Django's LOGGING (JSON) instead
    of installing its own plain-text handlers."""


def celery_telemetry_connect(app: Celery) -> None:
    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)
    signals.worker_init.connect(_worker_init, weak=False)
    signals.worker_process_init.connect(_worker_process_init, weak=False)
    signals.worker_process_shutdown.connect(_worker_process_shutdown, weak=False)
    signals.setup_logging.connect(_leave_logging_alone, weak=False)
    app.conf.worker_hijack_root_logger = False
