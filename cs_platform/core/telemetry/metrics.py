"""Prometheus metrics that are correct in every process model we run.

- Collectors are created through ``counter``/``histogram``/``gauge``, which return the one
  already registered under a name (a module imported twice, by autoreload or test
  collection, gets the same collector instead of a ``ValueError``).
- With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn web, Celery workers) every process writes
  its samples to files there and a scrape aggregates them all (``process_registry``);
  gunicorn's ``child_exit`` and Celery's ``worker_process_shutdown`` mark dead processes.
- State that lives in the database or Redis (sync lag, breakers, queue lengths, overdue
  GDPR requests, the audit chain check) is read at scrape time by *scrape collectors*
  that apps register in ``AppConfig.ready()``; they run only where ``/metrics`` is
  served, so every web process reports the same value and no process must remember it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_created: dict[str, Any] = {}


def _get_or_create(kind: type, name: str, doc: str, labels: Sequence[str], **kw: Any) -> Any:
    with _lock:
        existing = _created.get(name)
        if existing is not None:
            if not isinstance(existing, kind) or tuple(existing._labelnames) != tuple(labels):
                raise ValueError(f"metric {name} already exists with another type or labels")
            return existing
        metric = kind(name, doc, list(labels), **kw)
        _created[name] = metric
        return metric


def counter(name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
    return _get_or_create(Counter, name, doc, labels)


def histogram(
    name: str, doc: str, labels: Sequence[str] = (), buckets: Sequence[float] | None = None
) -> Histogram:
    kw = {"buckets": tuple(buckets)} if buckets is not None else {}
    return _get_or_create(Histogram, name, doc, labels, **kw)


def gauge(
    name: str, doc: str, labels: Sequence[str] = (), multiprocess_mode: str = "livesum"
) -> Gauge:
    return _get_or_create(Gauge, name, doc, labels, multiprocess_mode=multiprocess_mode)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def multiprocess_dir_reset(path: str) -> None:
    """Empty the directory before a server's first process starts: files of an earlier
    run would otherwise be summed into this one's counters."""
    os.makedirs(path, exist_ok=True)
    for entry in os.scandir(path):
        if entry.is_file() and entry.name.endswith(".db"):
            os.unlink(entry.path)


def process_dead(pid: int) -> None:
    """Called when a worker process exits: its live gauges stop counting."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


def process_registry() -> CollectorRegistry:
    """This server's process metrics: summed over every process sharing the multiprocess
    directory, or this process's own registry without one."""
    path = multiprocess_dir()
    if path is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)
    return registry


# --- scrape collectors ----------------------------------------------------------------

ScrapeFn = Callable[[], Iterable[Metric]]
_scrape_collectors: dict[str, ScrapeFn] = {}


def scrape_collector_register(name: str, collect: ScrapeFn) -> None:
    """Have ``/metrics`` call ``collect()`` on every scrape. ``name`` labels its
    ``cs_scrape_collector_up`` and ``..._seconds`` samples; registering a name again
    replaces the function (an app's ``ready()`` may run twice in tests)."""
    _scrape_collectors[name] = collect


class _ScrapeCollectors(Collector):
    """Runs every registered scrape collector; one that fails (the database or Redis is
    down) is reported as ``up == 0`` instead of failing the whole scrape."""

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "cs_scrape_collector_up",
            "1 when the scrape-time collector answered, 0 when it failed",
            labels=["collector"],
        )
        seconds = GaugeMetricFamily(
            "cs_scrape_collector_seconds", "Time a scrape-time collector took", labels=["collector"]
        )
        for name, collect in sorted(_scrape_collectors.items()):
            started = time.perf_counter()
            try:
                families = list(collect())
            except Exception:  # one broken source must not hide the others
                logger.warning("scrape collector %s failed", name, exc_info=True)
                up.add_metric([name], 0)
            else:
                up.add_metric([name], 1)
                yield from families
            seconds.add_metric([name], time.perf_counter() - started)
        yield up
        yield seconds


_scrape_registry = CollectorRegistry(auto_describe=False)
_scrape_registry.register(_ScrapeCollectors())


def exposition(*, with_scrape_collectors: bool) -> bytes:
    """The text exposition of this server's metrics."""
    body = generate_latest(process_registry())
    if with_scrape_collectors:
        body += generate_latest(_scrape_registry)
    return body
