"""Write every row about a data subject, across all apps, to a file (subject access and
portability: GDPR Art. 15 and 20)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cs_platform.core.errors import DomainError
from gdpr.management.commands._subject import command_actor, command_request, subject_arguments
from gdpr.services.export import subject_export


class Command(BaseCommand):
    help = (
        "Export every row about a subject (found by e-mail and/or contact id) as JSON with a "
        "manifest (counts per model, generated_at, schema_version); --format zip adds one "
        "file per model. Audited; completes the open access request for the address."
    )

    def add_arguments(self, parser):
        subject_arguments(parser)
        parser.add_argument("--out", required=True, help="File to write")
        parser.add_argument("--format", choices=("json", "zip"), default="json")

    def handle(self, *args, **options):
        try:
            export = subject_export(
                actor=command_actor(options),
                email=options["email"],
                contact_id=options["contact_id"],
                request=command_request(options),
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        out = Path(options["out"])
        if options["format"] == "zip":
            out.write_bytes(export.as_zip())
        else:
            out.write_text(export.as_json(), encoding="utf-8")
        counts = export.manifest["counts"]
        self.stdout.write(
            self.style.SUCCESS(
                f"exported {sum(counts.values())} rows from {len(counts)} models to {out}"
            )
        )
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
