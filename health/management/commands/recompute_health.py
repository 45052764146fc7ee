"""Recompute health snapshots and churn predictions: one account or the whole portfolio."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cs_platform.core import clock
from customers.models import Account
from health.services.scoring import CHUNK_SIZE, health_recompute_accounts, health_recompute_all


def _parse_as_of(value: str | None) -> datetime:
    if not value:
        return clock.now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of: {value!r} is not an ISO date or datetime") from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = (
        "Recompute health snapshots (and churn predictions) set-based, in chunks: "
        "--all for the portfolio or --account ID for one account. --enqueue fans the "
        "portfolio out to Celery instead of computing in this process. --history-weeks N "
        "first backfills one snapshot a week for the N weeks before --as-of, from the data "
        "as it was then (facts kept without history are reported missing there)."
    )

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--all", action="store_true", help="Every account.")
        target.add_argument("--account", type=int, metavar="ID", help="One account id.")
        parser.add_argument(
            "--as-of", help="ISO date/datetime the snapshot describes (default: now)."
        )
        parser.add_argument(
            "--history-weeks",
            type=int,
            default=0,
            metavar="N",
            help="Also score each of the N weeks before --as-of (0–104; default 0).",
        )
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)
        parser.add_argument(
            "--scorecard", default="default", help="Scorecard key (active version)."
        )
        parser.add_argument(
            "--enqueue", action="store_true", help="With --all: fan out Celery chunk tasks."
        )

    def handle(self, *args, **opts):
        as_of = _parse_as_of(opts["as_of"])
        if opts["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1")
        weeks = opts["history_weeks"]
        if not 0 <= weeks <= 104:
            raise CommandError("--history-weeks must be 0–104")
        if opts["account"] is not None and not Account.objects.filter(pk=opts["account"]).exists():
            raise CommandError(f"account {opts['account']} does not exist")
        started = time.perf_counter()
        # Oldest first, so each account's newest snapshot ends up the latest one.
        for back in range(weeks, 0, -1):
            self._recompute(opts, as_of - timedelta(weeks=back))
        result = self._recompute(opts, as_of)
        if weeks:
            result["history_weeks"] = weeks
        result["seconds"] = round(time.perf_counter() - started, 2)
        self.stdout.write(json.dumps(result, indent=2))

    def _recompute(self, opts: dict, as_of: datetime) -> dict:
        if opts["account"] is not None:
            return health_recompute_accounts(
                account_ids=[opts["account"]],
                as_of=as_of,
                scorecard_key=opts["scorecard"],
                channel="command",
                actor_label="command:recompute_health",
            ).to_dict()
        if opts["enqueue"]:
            from health.tasks import recompute_portfolio

            return recompute_portfolio(
                as_of=as_of.isoformat(),
                chunk_size=opts["chunk_size"],
                scorecard_key=opts["scorecard"],
            )
        return health_recompute_all(
            as_of=as_of,
            chunk_size=opts["chunk_size"],
            scorecard_key=opts["scorecard"],
            channel="command",
            actor_label="command:recompute_health",
        ).to_dict()
