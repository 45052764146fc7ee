"""Retention, dry run first: show the pending report, count now, plan, or confirm one."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from cs_platform.core import clock
from cs_platform.core.errors import DomainError
from gdpr.management.commands._subject import command_actor
from gdpr.models import RetentionRun
from gdpr.services.retention import retention_plan, retention_report, retention_run_apply


class Command(BaseCommand):
    help = (
        "Retention policies, dry run first. Without options: show the pending report (what "
        "the daily task will delete or anonymise once its grace period is over) and the last "
        "applied one. --dry-run counts now and writes nothing; --plan records a report now; "
        "--confirm N --as USER applies planned report N before its grace period ends."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--dry-run", action="store_true", help="Count now, write nothing")
        group.add_argument("--plan", action="store_true", help="Record a report now")
        group.add_argument("--confirm", type=int, metavar="N", help="Apply planned report N")
        parser.add_argument("--as", dest="as_user", help="Username confirming (with --confirm)")

    def handle(self, *args, **options):
        try:
            if options["dry_run"]:
                self._write({"dry_run": True, **retention_report()})
            elif options["plan"]:
                self._show(retention_plan(actor=command_actor(options)))
            elif options["confirm"] is not None:
                actor = command_actor(options)
                if actor is None:
                    raise CommandError("--confirm needs --as USER: who applies it early")
                self._show(retention_run_apply(run_id=options["confirm"], actor=actor))
            else:
                runs = list(RetentionRun.objects.order_by("-planned_at", "-id")[:2])
                if not runs:
                    self.stdout.write("no retention report yet (the daily task plans one)")
                for run in runs:
                    self._show(run)
        except DomainError as exc:
            raise CommandError(str(exc)) from None

    def _show(self, run: RetentionRun) -> None:
        body = {
            "report": run.pk,
            "status": run.status,
            "planned_at": run.planned_at.isoformat(),
            "apply_after": run.apply_after.isoformat(),
            "due": clock.now() >= run.apply_after,
            "would_change": run.report,
        }
        if run.applied_at is not None:
            body["applied_at"] = run.applied_at.isoformat()
            body["applied"] = run.applied
        self._write(body)

    def _write(self, body) -> None:
        self.stdout.write(json.dumps(body, indent=1))
