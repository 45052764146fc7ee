"""Metrics of the health engine.

Process metrics (where a chunk is scored: a Celery worker, or the command's process):
``cs_health_recompute_chunk_seconds`` and ``cs_health_accounts_scored_total{result}``
(``scored``, or ``unknown`` when too little data gave no score).

Scrape-time state: ``cs_health_latest_as_of_timestamp_seconds``, the newest ``as_of``
among the accounts' latest snapshots (a scheduled recompute's ``as_of`` is its start, on
the hour), which the "recompute late" alert compares with the 6-hour schedule.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from cs_platform.core.telemetry import metrics

RECOMPUTE_SECONDS = metrics.histogram(
    "cs_health_recompute_chunk_seconds",
    "Time to score and store one chunk of accounts",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
ACCOUNTS_SCORED = metrics.counter(
    "cs_health_accounts_scored_total",
    "Accounts scored by recomputes, by result (scored, unknown)",
    ["result"],
)


def recompute_chunk_count(*, seconds: float, scored: int, unknown: int) -> None:
    RECOMPUTE_SECONDS.observe(seconds)
    ACCOUNTS_SCORED.labels("scored").inc(scored)
    ACCOUNTS_SCORED.labels("unknown").inc(unknown)


def collect_recompute_state() -> Iterable[Metric]:
    from django.db.models import Max

    from health.models import LatestHealthScore

    # The latest pointers carry their snapshot's as_of: one narrow row per account.
    newest = LatestHealthScore.objects.aggregate(m=Max("as_of"))["m"]
    latest = GaugeMetricFamily(
        "cs_health_latest_as_of_timestamp_seconds",
        "Newest as_of among the accounts' latest health snapshots (0: none yet)",
    )
    latest.add_metric([], newest.timestamp() if newest else 0.0)
    return [latest]
