"""Recompute the audit hash chain and report the first tampered event, if any."""

from django.core.management.base import BaseCommand, CommandError

from audit.services import audit_chain_check_record


class Command(BaseCommand):
    help = (
        "Verify the hash chain of audit events and its signed head checkpoints; exits "
        "non-zero at the first broken link or a missing checkpointed head. "
        "The outcome is stored, so /metrics (cs_audit_chain_ok) reports it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            action="store_true",
            help="When the chain holds, sign its head (as the daily task does)",
        )

    def handle(self, *args, **options):
        result = audit_chain_check_record(checkpoint=options["checkpoint"])
        if not result.ok:
            raise CommandError(
                f"audit chain broken at event {result.first_bad_id}: {result.reason} "
                f"({result.events_checked} events verified before it)"
            )
        self.stdout.write(self.style.SUCCESS(f"audit chain ok: {result.events_checked} events"))
