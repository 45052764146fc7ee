"""Celery workers SIGKILLed after a provider accepted an outbox call but before its
outcome was recorded: nothing is sent twice and no row is lost.

Three tickets and three e-mails are queued through the tools by a separate process
(real broker, real commits). The sandbox acts on the first Zendesk create and the first
SendGrid send, then holds its answers; the worker doing each is killed while it waits.
Redis redelivers the unacknowledged tasks; the next worker finds those rows "sending"
past their claim, knows the call may have happened, and settles them without a second
call having any effect: Zendesk answers the repeated create from its Idempotency-Key,
and the e-mail is found in SendGrid's Email Activity API by our custom arg.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
import requests

from integrations.tests.worker_processes import WorkerLab

pytestmark = [pytest.mark.slow, pytest.mark.sandbox(accounts=5, days=10, seed=5)]

T = (3.05, 10)
ROWS = 3
SETUP = """
import json
from django.contrib.auth import get_user_model
from cs_platform.core.actors import actor_for_user
from cs_platform.core.models import Role, StaffProfile
from cs_platform.core.tools import invoke_tool
from customers.models import Account, Contact
from integrations.models import Connection

user = get_user_model().objects.create_user(
    username="csm", first_name="Grace", last_name="Hopper", email="grace@cs.test"
)
StaffProfile.objects.create(user=user, role=Role.CSM)
actor = actor_for_user(user, channel="command")
fast = {{"retry_max_attempts": 2, "retry_base_delay": 0.05, "read_timeout": 60}}
Connection.objects.create(
    provider="zendesk", name="zendesk", base_url="{url}/zendesk", settings=fast,
    credentials={{"email": "{zendesk_email}", "api_token": "{zendesk_token}"}},
)
Connection.objects.create(
    provider="sendgrid", name="sendgrid", base_url="{url}/sendgrid",
    credentials={{"api_key": "{sendgrid_key}"}},
    settings={{**fast, "from_email": "success@cs-platform.test"}},
)
queued = []
for n in range({rows}):
    account = Account.objects.create(name=f"Acme {{n}}", domain=f"acme{{n}}.test", owner=user)
    contact = Contact.objects.create(
        account=account, first_name="Ada", email=f"ada@acme{{n}}.test", is_primary=True
    )
    ticket = invoke_tool("handle_support_ticket", actor, {{
        "action": "create", "account_id": account.pk, "subject": f"Exports fail {{n}}",
    }})
    email = invoke_tool("send_personalized_email", actor, {{
        "contact_id": contact.pk, "subject": "Hi {{{{first_name}}}}", "body": "Hello",
    }})
    queued.append([ticket["mirror"]["status"], email["status"]])
print(json.dumps(queued))
"""


def _zendesk_tickets(sandbox) -> list[dict]:
    return requests.get(f"{sandbox.url}/_sandbox/zendesk/tickets", timeout=T).json()["tickets"]


def test_workers_killed_after_the_provider_accepted_send_nothing_twice(sandbox, tmp_path):
    if not WorkerLab.available():
        pytest.skip("needs DATABASE_URL on PostgreSQL and REDIS_URL (the broker)")
    lab = WorkerLab("outbox_killed", tmp_path / "worker.log")
    lab.recreate_database()
    try:
        lab.manage("migrate", "-v0")
        lab.purge_broker()
        c = sandbox.credentials
        setup = SETUP.format(
            url=sandbox.url, rows=ROWS, zendesk_email=c.zendesk_email,
            zendesk_token=c.zendesk_api_token, sendgrid_key=c.sendgrid_api_key,
        )  # fmt: skip
        answers = json.loads(lab.manage("shell", "-v", "0", "-c", setup).splitlines()[-1])
        assert answers == [["pending", "pending"]] * ROWS  # answered before any call
        assert sandbox.requests_to("zendesk") == sandbox.requests_to("sendgrid") == 0
        preexisting = {t["id"] for t in _zendesk_tickets(sandbox)}
        db = lab.connect()

        def ours() -> list[dict]:
            return [t for t in _zendesk_tickets(sandbox) if t["id"] not in preexisting]

        # The first create and the first send are done by the provider, then their
        # answers are held back: the worker waiting for one is killed.
        sandbox.set_fault("zendesk", "hold", delay=30, count=1)
        sandbox.set_fault("sendgrid", "hold", delay=30, count=1)

        first = lab.start_worker()
        lab.wait_for(lambda: len(ours()) == 1, 60, "Zendesk to create the first ticket")
        delivered_at = time.monotonic()
        lab.kill(first)
        lab.wait_for_redelivery(delivered_at)

        second = lab.start_worker()
        lab.wait_for(lambda: len(sandbox.sendgrid_sent()) == 1, 60, "SendGrid to accept a mail")
        delivered_at = time.monotonic()
        lab.kill(second)
        lab.wait_for_redelivery(delivered_at)

        lab.start_worker()

        def outbox() -> list[tuple]:
            return db.execute(
                "SELECT kind, status, attempts, maybe_sent, provider_id FROM "
                "integrations_outboxmessage ORDER BY id"
            ).fetchall()

        lab.wait_for(
            lambda: all(row[1] in ("succeeded", "failed") for row in outbox()),
            90,
            "every outbox row to finish",
        )
        rows = outbox()
        assert len(rows) == 2 * ROWS and {row[1] for row in rows} == {"succeeded"}, rows
        # The two calls whose worker died were taken up again knowing they may have
        # happened; the second attempt did not act twice.
        assert sorted((row[0], row[2], row[3]) for row in rows if row[2] > 1) == [
            ("sendgrid.mail_send", 2, True),
            ("zendesk.ticket_create", 2, True),
        ]

        tickets = db.execute(
            "SELECT id, external_id, mirror_status FROM integrations_supportticket"
        ).fetchall()
        assert len(tickets) == ROWS and {t[2] for t in tickets} == {"synced"}
        remote = ours()
        assert Counter(t["external_id"] for t in remote) == {
            f"cs-platform-ticket-{t[0]}": 1 for t in tickets
        }
        assert {str(t["id"]) for t in remote} == {t[1] for t in tickets}

        emails = db.execute(
            "SELECT id, status, provider_message_id FROM integrations_emailmessage"
        ).fetchall()
        assert len(emails) == ROWS and {e[1] for e in emails} == {"sent"}
        sent = sandbox.sendgrid_sent()
        per_message = Counter(m["body"]["custom_args"]["email_message_id"] for m in sent)
        assert per_message == {str(e[0]): 1 for e in emails}
        assert {m["message_id"] for m in sent} == {e[2] for e in emails}
        db.close()
    finally:
        lab.stop_all()
        lab.purge_broker()
        lab.drop_database()
