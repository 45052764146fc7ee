"""Erase a data subject everywhere (GDPR Art. 17), in one transaction; --dry-run first."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cs_platform.core.errors import DomainError
from gdpr.management.commands._subject import command_actor, command_request, subject_arguments
from gdpr.services.erase import subject_erase


class Command(BaseCommand):
    help = (
        "Anonymise a subject (found by e-mail and/or contact id) in every registered model, "
        "free text that names them included, in one transaction. Idempotent. --dry-run "
        "prints what would change per model and writes nothing."
    )

    def add_arguments(self, parser):
        subject_arguments(parser)
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing")
        parser.add_argument("--reason", default="", help="Why (kept on the request, redacted)")

    def handle(self, *args, **options):
        try:
            erasure = subject_erase(
                actor=command_actor(options),
                email=options["email"],
                contact_id=options["contact_id"],
                reason=options["reason"],
                dry_run=options["dry_run"],
                request=command_request(options),
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        verb = "would change" if erasure.dry_run else "changed"
        self.stdout.write(
            f"contacts {erasure.contact_ids or 'none'}: {verb} {erasure.total} rows"
            + (" (dry run: nothing written)" if erasure.dry_run else "")
        )
        for label, change in sorted(erasure.changes.items()):
            fields = ", ".join(f"{name} {n}" for name, n in sorted(change.fields.items()))
            deleted = f", {change.deleted} deleted" if change.deleted else ""
            self.stdout.write(
                f"  {label}: {change.rows} rows{deleted}" + (f" ({fields})" if fields else "")
            )
        self.stdout.write(f"  identities blocked from coming back: {erasure.identities_blocked}")
        for copy in erasure.providers:
            ref = f" ({copy.provider_ref})" if copy.provider_ref else ""
            self.stdout.write(f"  {copy.provider}: {copy.status}{ref}: {copy.detail}")
        if not erasure.dry_run:
            self.stdout.write(self.style.SUCCESS("erased"))
