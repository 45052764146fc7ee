"""gunicorn server hooks, loaded by ``cs_platform/gunicorn_conf.py`` in the master.

- ``on_starting``: empty ``PROMETHEUS_MULTIPROC_DIR`` (an earlier run's files would be
  summed into this one's counters);
- ``child_exit``: mark the worker's files dead, so its live gauges stop counting while
  its counters and histograms keep adding to the totals (a scrape sums every worker);
- ``logconfig_dict``: gunicorn's own lines (boot, worker timeouts) as JSON.

Imports nothing from Django: the master never loads the app (no ``preload_app``), so each
worker imports it after the fork and sets up tracing there (``cs_platform.wsgi``).
"""

from __future__ import annotations

from typing import Any

from cs_platform.core.telemetry import metrics
from cs_platform.core.telemetry.logs import logging_config


def on_starting(server: Any) -> None:
    path = metrics.multiprocess_dir()
    if path:
        metrics.multiprocess_dir_reset(path)


def child_exit(server: Any, worker: Any) -> None:
    metrics.process_dead(worker.pid)


def gunicorn_logconfig(level: str) -> dict[str, Any]:
    config = logging_config(level)
    config["loggers"] = {
        "gunicorn.error": {"level": level, "handlers": ["console"], "propagate": False},
        # Requests are logged once, by RequestContextMiddleware, with their context.
        "gunicorn.access": {"level": "WARNING", "handlers": ["console"], "propagate": False},
    }
    return config
