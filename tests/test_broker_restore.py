"""Messages a worker held when Redis went away go back on their queue once it is back,
not after the visibility timeout (cs_platform/core/broker.py). A Redis of the test's own,
stopped and started again with its append-only file, as production runs it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from celery import Celery
from kombu import Connection, Consumer, Exchange, Producer, Queue

from cs_platform.core.broker import (
    HeldMessagesRestore,
    held_delivery_tags,
    held_messages_restore,
)
from tests.operations.topology import RedisServer, wait_for

QUEUE = Queue("held", Exchange("held", type="direct"), routing_key="held")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _held_channel(server: RedisServer, messages: int, taken: int):
    """A channel that received ``taken`` of ``messages`` without acknowledging them, then
    lost Redis and was closed (kombu's own attempt to put them back fails)."""
    connection = Connection(server.url)
    channel = connection.channel()
    producer = Producer(channel, exchange=QUEUE.exchange, routing_key="held")
    QUEUE(channel).declare()
    for number in range(messages):
        producer.publish({"n": number}, declare=[QUEUE])
    received = [channel.basic_get("held", no_ack=False) for _ in range(taken)]
    server.stop()
    with contextlib.suppress(Exception):
        connection.close()
    return channel, [message.delivery_tag for message in received]


def _counts(server: RedisServer, queue: str = "held") -> tuple[int, int]:
    """Messages waiting on ``queue``, and messages held unacknowledged."""
    client = redis.Redis.from_url(server.url)
    return client.llen(queue), client.hlen("unacked")


def test_held_messages_go_back_on_their_queue_once_redis_answers(broker: RedisServer):
    old, tags = _held_channel(broker, messages=3, taken=2)
    assert sorted(held_delivery_tags(old)) == sorted(tags)

    broker.start()
    assert _counts(broker) == (1, 2)  # the append-only file kept them, as held
    with Connection(broker.url) as connection:
        channel = connection.channel()
        assert held_messages_restore(channel, tags, keep=set()) == tags
        assert _counts(broker) == (3, 0)
        # Put back at the head, in the order they were received.
        bodies = [channel.basic_get("held", no_ack=True).payload["n"] for _ in range(3)]
        assert bodies == [0, 1, 2]
        # Again: nothing is duplicated.
        held_messages_restore(channel, tags, keep=set())
        assert _counts(broker) == (0, 0)


def test_a_channel_that_put_its_messages_back_holds_none(broker: RedisServer):
    with Connection(broker.url) as connection:
        channel = connection.channel()
        QUEUE(channel).declare()
        Producer(channel, exchange=QUEUE.exchange, routing_key="held").publish({"n": 0})
        channel.basic_get("held", no_ack=False)
        connection.close()  # Redis is up: kombu puts the message back itself
        assert held_delivery_tags(channel) == []
    assert _counts(broker) == (1, 0)


class _RunningRequest:
    def __init__(self, tag: str) -> None:
        self.message = SimpleNamespace(delivery_tag=tag)


def test_the_consumer_step_puts_back_what_was_not_running(broker: RedisServer):
    from celery.worker import state

    old, (running, waiting) = _held_channel(broker, messages=3, taken=2)
    step = HeldMessagesRestore(SimpleNamespace())
    request = _RunningRequest(running)
    state.active_requests.add(request)
    try:
        step.stop(SimpleNamespace(task_consumer=SimpleNamespace(channel=old)))
    finally:
        state.active_requests.discard(request)
    assert step.held == [running, waiting]

    broker.start()
    with Connection(broker.url) as connection:
        channel = connection.channel()
        step.start(SimpleNamespace(task_consumer=Consumer(channel, queues=[QUEUE])))
        # The running task's message stays held for its acknowledgement; the other is back.
        assert _counts(broker) == (2, 1)
        assert channel.basic_get("held", no_ack=True).payload["n"] == 1
    assert step.held == []


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _finished_ids(log: Path) -> set[str]:
    finished = r"audit\.verify_chain\[([0-9a-f-]{36})\] (?:succeeded|raised)"
    return set(re.findall(finished, log.read_text(errors="replace")))


def test_a_worker_runs_every_message_it_held_when_redis_restarted(tmp_path: Path):
    """A real worker holds four messages (its pool process is paused, so none has
    started) when Redis restarts; once reconnected it runs all ten queued, and none waits
    in the ``unacked`` hash for the visibility timeout."""
    server = RedisServer(tmp_path)
    server.start()
    log = tmp_path / "worker.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_"))},
        "REDIS_URL": server.url,
        # No database: each task fails at its first query, which is enough to show that
        # its message reached a pool process.
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/none",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DB_POOL": "false",
        "LOG_LEVEL": "INFO",
    }
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "cs_platform", "worker", "-Q",
         "default", "-c", "1", "--prefetch-multiplier", "4", "--without-heartbeat",
         "--without-mingle", "--without-gossip"],
        cwd=Path(__file__).resolve().parent.parent, env=env, stdout=log.open("ab"),
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: " ready." in log.read_text(errors="replace"), 60, "the worker")
        (child,) = _children(worker.pid)
        os.kill(child, signal.SIGSTOP)
        try:
            with Celery(broker=server.url) as sender:
                sent = [sender.send_task("audit.verify_chain", queue="default") for _ in range(10)]
            ids = {result.id for result in sent}
            wait_for(lambda: _counts(server, "default") == (6, 4), 20, "four messages held")
            server.stop()
            server.start()
        finally:
            os.kill(child, signal.SIGCONT)
        wait_for(lambda: _finished_ids(log) >= ids, 30, "every queued task to run")
        assert _counts(server, "default") == (0, 0)
        assert "4 held message(s) put back" in log.read_text(errors="replace")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=20)
        server.stop()
