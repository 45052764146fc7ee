"""Re-encrypt every encrypted field with the first configured key."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from integrations.probes import check_encryption_canary
from integrations.services.encryption import UndecryptableValues, field_encryption_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt Connection credentials and webhook secrets (and every other encrypted "
        "field) with the first salt of FIELD_ENCRYPTION_SALTS / the current SECRET_KEY. "
        "Run after prepending a new salt; then remove the old salt."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="check every value decrypts, write nothing"
        )

    def handle(self, *args, **options):
        try:
            report = field_encryption_rotate(dry_run=options["dry_run"])
        except UndecryptableValues as exc:
            listed = "\n  ".join(exc.details["values"])
            raise CommandError(f"{exc.message}:\n  {listed}") from exc
        verb = "would re-encrypt" if options["dry_run"] else "re-encrypted"
        for label, count in sorted(report.rows.items()):
            self.stdout.write(f"{label}: {verb} {count} rows")
        canary = check_encryption_canary()
        if canary is not None and not canary[0]:
            raise CommandError(f"encryption canary check failed after rotation: {canary[1]}")
        self.stdout.write(self.style.SUCCESS("done; the encryption canary decrypts"))
