"""Deliver due outbox rows in this process: what the `integrations.outbox_redrive` beat
task hands to workers. For the embedded mode (no beat) and for operators after an outage."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from cs_platform.core import clock
from integrations.selectors.outbox import outbox_due_ids
from integrations.services.outbox.deliver import DeliveryInFlight, outbox_message_deliver
from integrations.services.outbox.messages import outbox_pending_rearm_all


class Command(BaseCommand):
    help = (
        "Make one attempt at every due outbox row (pending ones past their backoff, and "
        "ones a dead worker left sending) and print each outcome. --now skips the backoff."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="treat every pending row as due now")

    def handle(self, *args, **options):
        now = clock.now()
        if options["now"]:
            outbox_pending_rearm_all(now=now)
        stale_before = now - timedelta(seconds=settings.OUTBOX_CLAIM_TIMEOUT_SECONDS)
        ids = outbox_due_ids(now=now, pending_before=now, stale_before=stale_before)
        for outbox_id in ids:
            try:
                outcome = outbox_message_deliver(outbox_id=outbox_id)
            except DeliveryInFlight:
                self.stdout.write(f"outbox {outbox_id}: in flight in another worker")
                continue
            reason = f" ({outcome.reason})" if outcome.reason else ""
            self.stdout.write(f"outbox {outbox_id}: {outcome.status}{reason}")
        self.stdout.write(f"{len(ids)} due row(s) handled")
