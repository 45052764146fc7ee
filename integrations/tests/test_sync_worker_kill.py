"""A Celery worker SIGKILLed in the middle of a Zendesk sync: the redelivered task
finishes it with nothing lost and nothing stored twice.

Real processes throughout: a worker subprocess on the Redis broker, a database of its
own (the worker cannot see pytest's transaction), the sandbox over HTTP. Redis
redelivers the unacknowledged task after ``CELERY_VISIBILITY_TIMEOUT`` seconds; the new
worker's claim finds the dead worker's run without heartbeat, marks it ``abandoned`` and
resumes from the cursor of the last committed page.
"""

from __future__ import annotations

import time

import pytest

from integrations.tests.sync_support import matched_org_ids, sandbox_tickets
from integrations.tests.worker_processes import WorkerLab

pytestmark = [pytest.mark.slow, pytest.mark.sandbox(accounts=20, days=30, seed=11)]

PAGE_SIZE = 8
SETUP = """
from customers.demo_identity import demo_company
from customers.models import Account
from integrations.models import Connection
for n in range(1, 21):
    c = demo_company(n)
    Account.objects.create(name=c.name, domain=c.domain, zendesk_org_id=c.zendesk_org_id)
conn = Connection.objects.create(
    provider="zendesk", name="killed worker", base_url="{base_url}",
    credentials={{"email": "{email}", "api_token": "{token}"}},
    settings={{"page_size": {page_size}, "retry_base_delay": 0.05}},
)
# Queued as an operator would: a SyncRun row plus its task on the integrations queue.
from django.core.management import call_command
call_command("sync_connection", conn.pk, stream="tickets", queue=True)
print(conn.pk)
"""


def test_worker_killed_mid_sync_resumes_without_loss_or_duplicates(sandbox, tmp_path):
    if not WorkerLab.available():
        pytest.skip("needs DATABASE_URL on PostgreSQL and REDIS_URL (the broker)")
    lab = WorkerLab("sync_killed", tmp_path / "worker.log")
    lab.recreate_database()
    try:
        lab.manage("migrate", "-v0")
        lab.purge_broker()
        c = sandbox.credentials
        conn_id = int(
            lab.manage("shell", "-v", "0", "-c", SETUP.format(
                base_url=sandbox.base_url("zendesk"), email=c.zendesk_email,
                token=c.zendesk_api_token, page_size=PAGE_SIZE,
            )).strip().splitlines()[-1]
        )  # fmt: skip
        expected = {
            str(t["id"]): t["updated_at"]
            for t in sandbox_tickets(sandbox)
            if t["organization_id"] in matched_org_ids(range(1, 21))
        }
        assert len(expected) > 4 * PAGE_SIZE
        db = lab.connect()

        def runs():
            return db.execute(
                "SELECT id, status, fetched, created, error_code FROM integrations_syncrun "
                "WHERE connection_id = %s ORDER BY id",
                [conn_id],
            ).fetchall()

        def stored():
            return db.execute(
                "SELECT external_id, to_char(source_updated_at AT TIME ZONE 'UTC', "
                '\'YYYY-MM-DD"T"HH24:MI:SS"Z"\') FROM integrations_supportticket '
                "WHERE connection_id = %s",
                [conn_id],
            ).fetchall()

        # Every provider call is slow, so the sync is mid-way when the worker dies.
        sandbox.set_fault("zendesk", "slow", delay=0.6)
        first = lab.start_worker()
        lab.wait_for(lambda: [r for r in runs() if r[1] == "running"], 30, "the task")
        delivered_by = time.monotonic()  # Redis times the visibility window from delivery
        lab.wait_for(
            lambda: [r for r in runs() if r[1] == "running" and r[2] >= 2 * PAGE_SIZE],
            30, "two committed pages",
        )  # fmt: skip

        lab.kill(first)
        ((killed_id, status, fetched, created, _),) = runs()
        partial = dict(stored())
        assert status == "running" and 0 < len(partial) < len(expected)
        assert created == len(partial)
        sandbox.reset_faults()
        # Should the dead run's heartbeat not look stale yet when the task comes back,
        # the task retries until it does.
        lab.wait_for_redelivery(delivered_by)

        lab.start_worker()
        final = lab.wait_for(
            lambda: [r for r in runs() if r[1] in ("succeeded", "partial", "failed")
                     and r[0] != killed_id],
            30, "the redelivered run to finish",
        )  # fmt: skip

        all_runs = runs()
        assert [(r[0], r[1], r[4]) for r in all_runs if r[0] == killed_id] == [
            (killed_id, "failed", "abandoned")
        ]
        assert len(final) == 1 and final[0][1] == "succeeded", all_runs
        rows = stored()
        assert len(rows) == len({ext for ext, _ in rows}) == len(expected)
        assert dict(rows) == expected
        # Nothing applied twice: the resumed run created exactly what the killed one had not.
        assert final[0][3] == len(expected) - len(partial)
        cursor = db.execute(
            "SELECT cursors FROM integrations_connection WHERE id = %s", [conn_id]
        ).fetchone()[0]
        assert cursor["tickets"]["after_cursor"]
        db.close()
    finally:
        lab.stop_all()
        lab.purge_broker()
        lab.drop_database()
