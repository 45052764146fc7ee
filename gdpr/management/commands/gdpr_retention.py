"""Enforce the retention policies now (as the daily task does); --dry-run reports only."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from gdpr.services.retention import retention_apply


class Command(BaseCommand):
    help = (
        "Delete or anonymise rows older than each enabled retention policy allows; "
        "--dry-run prints what would change per category and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options):
        report = retention_apply(dry_run=options["dry_run"])
        self.stdout.write(json.dumps(report, indent=1))
