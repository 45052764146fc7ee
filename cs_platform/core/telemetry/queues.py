"""Scrape-time Celery queue lengths: ``cs_celery_queue_length{queue}``, messages waiting in
each declared queue of the Redis broker (tasks a worker has taken are not counted)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

# kombu's Redis transport keeps priorities 3, 6 and 9 in their own lists beside the queue.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
_clients: dict[str, Any] = {}


def _client(url: str) -> Any:
    if url not in _clients:
        import redis

        _clients[url] = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return _clients[url]


def collect_queue_lengths() -> Iterable[Metric]:
    from celery import current_app

    conf = current_app.conf
    url = str(conf.broker_url or "")
    family = GaugeMetricFamily(
        "cs_celery_queue_length", "Tasks waiting in each Celery queue", labels=["queue"]
    )
    if not url.startswith(("redis://", "rediss://")):
        return [family]  # an in-memory broker (embedded mode) has no queues to measure
    prefix = (conf.broker_transport_options or {}).get("global_keyprefix", "")
    names = sorted({q.name for q in conf.task_queues or ()} | {conf.task_default_queue})
    pipe = _client(url).pipeline(transaction=False)
    for name in names:
        for suffix in _PRIORITY_SUFFIXES:
            pipe.llen(f"{prefix}{name}{suffix}")
    lengths = pipe.execute()
    step = len(_PRIORITY_SUFFIXES)
    for i, name in enumerate(names):
        family.add_metric([name], float(sum(lengths[i * step : (i + 1) * step])))
    return [family]
