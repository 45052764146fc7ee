"""What a worker does with the messages it held when its Redis broker connection broke.

A worker holds a message from delivery until it acknowledges it (tasks acknowledge late).
When the connection breaks, Celery forgets the messages it had received but not yet
started, counting on the broker to redeliver them, and kombu tries to put every held
message back on its queue as it closes the channel. With Redis away that put fails, so the
messages wait in Redis's ``unacked`` hash for the visibility timeout (an hour) before any
worker sees them again. This consumer step finishes the job once the worker is connected
again: it puts back the messages the old channel still held, except those of tasks that
were running (they finish, and acknowledge through the new connection).

A message that was on its way to a pool process when the connection broke may run twice;
tasks are idempotent (DESIGN.md 3), so that costs time, not correctness. A message Redis
took off its queue but whose reply never arrived was never held, and is out of reach here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from celery import bootsteps
from celery.worker import state

logger = logging.getLogger(__name__)


def held_delivery_tags(channel: Any) -> list[str]:
    """The delivery tags a closed channel still holds because putting them back failed.

    kombu marks the channel's held messages ``restored`` once it has tried to put them
    back, and clears them only if that succeeded; an open channel holds none of interest.
    """
    qos = getattr(channel, "_qos", None)
    delivered = getattr(qos, "_delivered", None)
    if not delivered or not getattr(delivered, "restored", False):
        return []
    return list(delivered)


def held_messages_restore(channel: Any, tags: Iterable[str], keep: set[str]) -> list[str]:
    """Put the messages of ``tags`` back at the head of their queues through ``channel``,
    except those in ``keep``; returns the tags handled (all, or none if the broker is not
    Redis).

    A tag no longer in the ``unacked`` hash (acknowledged since, or already put back by
    the visibility timeout) is dropped without a write, so this never duplicates a message.
    """
    restore_by_tag = getattr(channel.qos, "restore_by_tag", None)
    if restore_by_tag is None:  # not Redis: the broker redelivers on its own
        return []
    ordered = list(tags)
    # Each goes to the head of its queue: the last received first, so that the queue
    # hands them out again in the order they were first received.
    for tag in reversed(ordered):
        if tag not in keep:
            restore_by_tag(tag)
    return ordered


def _running_tags() -> set[str]:
    tags = set()
    for request in tuple(state.active_requests):
        tag = getattr(getattr(request, "message", None), "delivery_tag", None)
        if tag is not None:
            tags.add(tag)
    return tags


class HeldMessagesRestore(bootsteps.StartStopStep):
    """Consumer step: after a reconnection, the old channel's held messages go back on
    their queues (see the module's docstring)."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.held: list[str] = []
        self.running: set[str] = set()

    def stop(self, parent: Any) -> None:
        # Called as the consumer restarts after a connection error, before the task
        # consumer is replaced: its channel is the one that was closed.
        consumer = getattr(parent, "task_consumer", None)
        tags = held_delivery_tags(getattr(consumer, "channel", None))
        if tags:
            self.held.extend(tag for tag in tags if tag not in self.held)
            self.running |= _running_tags()

    def start(self, parent: Any) -> None:
        if not self.held:
            return
        # A connection error here propagates: the consumer reconnects and this runs again
        # with whatever is still held.
        handled = held_messages_restore(
            parent.task_consumer.channel, list(self.held), keep=self.running
        )
        restored = sum(1 for tag in handled if tag not in self.running)
        self.held = [tag for tag in self.held if tag not in handled]
        if not self.held:
            self.running = set()
        logger.warning(
            "broker connection restored: %d held message(s) put back on their queues, "
            "%d left to the running tasks",
            restored, len(handled) - restored,
        )  # fmt: skip
