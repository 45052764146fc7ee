"""Metrics of provider syncs and breakers.

Process metrics (counted where a sync finishes, usually a Celery worker):
``cs_sync_runs_total{provider,status}`` and ``cs_sync_records_total{provider,kind}``.

Scrape-time state (read on each ``/metrics`` scrape; labels are connection ids and
provider names, never connection names or credentials):

- ``cs_sync_last_success_timestamp_seconds{connection,provider}``: end of the newest run
  that finished without error (0 when none ever did), from ``Connection.last_synced_at``;
- ``cs_sync_lag_seconds{connection,provider}``: seconds since then (since the connection
  was created when it never synced);
- ``cs_sync_interval_seconds{connection,provider}``: the configured sync interval, so an
  alert can compare the lag with it;
- ``cs_provider_breaker_state{provider,state}``: 1 for the breaker's current state
  (closed, open, half-open) as every process sees it in Redis; ``..._failures`` its
  consecutive-failure count.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from cs_platform.core import clock
from cs_platform.core.telemetry import metrics

SYNC_RUNS = metrics.counter(
    "cs_sync_runs_total", "Finished sync runs by provider and status", ["provider", "status"]
)
SYNC_RECORDS = metrics.counter(
    "cs_sync_records_total",
    "Records seen by finished sync runs, by provider and kind "
    "(fetched, created, updated, unmatched, failed)",
    ["provider", "kind"],
)
BREAKER_STATES = ("closed", "open", "half-open")


def sync_run_count(*, provider: str, status: str, counts: dict[str, int]) -> None:
    SYNC_RUNS.labels(provider, status).inc()
    for kind, value in counts.items():
        if value:
            SYNC_RECORDS.labels(provider, kind).inc(value)


def collect_sync_state() -> Iterable[Metric]:
    from integrations.models import Connection

    last = GaugeMetricFamily(
        "cs_sync_last_success_timestamp_seconds",
        "When the connection's newest sync without error finished (0: never)",
        labels=["connection", "provider"],
    )
    lag = GaugeMetricFamily(
        "cs_sync_lag_seconds",
        "Seconds since the connection's newest sync without error (or since it was created)",
        labels=["connection", "provider"],
    )
    interval = GaugeMetricFamily(
        "cs_sync_interval_seconds",
        "The connection's configured sync interval",
        labels=["connection", "provider"],
    )
    now = clock.now()
    rows = Connection.objects.filter(enabled=True).values_list(
        "pk", "provider", "last_synced_at", "created_at", "sync_interval_minutes"
    )
    for pk, provider, synced, created, minutes in rows:
        labels = [str(pk), provider]
        last.add_metric(labels, synced.timestamp() if synced else 0.0)
        lag.add_metric(labels, max(0.0, (now - (synced or created)).total_seconds()))
        interval.add_metric(labels, minutes * 60.0)
    return [last, lag, interval]


def collect_breakers() -> Iterable[Metric]:
    from integrations import resilience
    from integrations.models import Provider

    # Breakers fall back to process memory while Redis is down: that is not the shared
    # state, so the collector fails (up == 0) rather than report a guess.
    resilience.breaker_storage_ping()
    state = GaugeMetricFamily(
        "cs_provider_breaker_state",
        "1 for the provider breaker's current state (shared through Redis)",
        labels=["provider", "state"],
    )
    failures = GaugeMetricFamily(
        "cs_provider_breaker_failures",
        "Consecutive failures the provider breaker has counted",
        labels=["provider"],
    )
    for provider in Provider.values:
        current = resilience.breaker_state(provider)
        for name in BREAKER_STATES:
            state.add_metric([provider, name], 1.0 if current.state == name else 0.0)
        failures.add_metric([provider], float(current.failures))
    return [state, failures]
