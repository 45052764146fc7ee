"""The Celery app. Tasks take ids, call one service and are idempotent (DESIGN.md 3)."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

from cs_platform.core.broker import HeldMessagesRestore
from cs_platform.core.telemetry.celery import celery_telemetry_connect

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cs_platform.settings")

app = Celery("cs_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # A task is acknowledged only once it finished; a worker that dies mid-task leaves it
    # on the queue for another worker (so tasks must be idempotent).
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue="default",
    task_queues=(Queue("default"), Queue("integrations"), Queue("health")),
    task_routes={
        "integrations.*": {"queue": "integrations"},
        "health.*": {"queue": "health"},
    },
    broker_connection_timeout=5,
    # Redis redelivers a task no worker acknowledged within this many seconds (a worker
    # killed outright cannot reject it). Worker-loss tests shorten it, and give their
    # broker keys a prefix so that two of them running at once never share a queue.
    broker_transport_options={
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
        "global_keyprefix": os.environ.get("CELERY_BROKER_KEY_PREFIX", ""),
    },
    task_serializer="json",
    accept_content=["json"],
    # Tasks record their outcome in rows (sync runs, outbox, audit); nothing reads a Celery
    # result. Storing one made a task that finished while Redis was away report failure.
    task_ignore_result=True,
    timezone="UTC",
)
# After a broker outage, the messages the worker held go back on their queues at once
# rather than after the visibility timeout (cs_platform/core/broker.py).
app.steps["consumer"].add(HeldMessagesRestore)
app.autodiscover_tasks()
# Task metrics, JSON logs with the task's name and id, the worker's /metrics endpoint.
celery_telemetry_connect(app)
# Monitors live beside the health engine's tasks in their own module.
app.autodiscover_tasks(related_name="monitor_tasks")


def _load_schedule() -> None:
    from cs_platform.schedules import beat_schedule

    app.conf.beat_schedule = beat_schedule()


app.on_after_configure.connect(lambda sender, **kw: _load_schedule(), weak=False)
