"""Run a provider sync from the command line (in this process, or queued for a worker)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cs_platform.core.errors import DomainError
from integrations.services.syncs import PageProgress, sync_run_enqueue, sync_run_execute


class Command(BaseCommand):
    help = (
        "Sync one connection now: all its streams, or --stream. Prints each committed "
        "page; exits non-zero when the run fails. --queue hands it to a Celery worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("connection_id", type=int)
        parser.add_argument("--stream", default=None, help="e.g. tickets, contacts, events")
        parser.add_argument(
            "--full-resync", action="store_true", help="ignore stored cursors; start over"
        )
        parser.add_argument("--queue", action="store_true", help="queue for a worker instead")

    def handle(self, *args, **options):
        connection_id, stream = options["connection_id"], options["stream"]
        full = options["full_resync"]
        if options["queue"]:
            from integrations.tasks import sync_enqueue_on_commit

            try:
                with transaction.atomic():
                    run, created = sync_run_enqueue(
                        connection_id=connection_id, stream=stream, full_resync=full,
                        trigger="cli",
                    )  # fmt: skip
                    if created:
                        sync_enqueue_on_commit(
                            run.pk, run.task_id, connection_id, run.stream, full, "cli"
                        )
            except DomainError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from exc
            state = "queued" if created else f"already {run.status}"
            self.stdout.write(f"run {run.pk} {state} (task {run.task_id})")
            return

        def progress(p: PageProgress) -> None:
            r = p.result
            self.stdout.write(
                f"{p.stream} page {p.page}: fetched {r.fetched}, created {r.created}, "
                f"updated {r.updated}, unmatched {r.unmatched}, failed {r.failed}"
            )

        try:
            run, skipped = sync_run_execute(
                connection_id=connection_id, stream=stream, trigger="cli",
                full_resync=full, on_page=progress,
            )  # fmt: skip
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        if run is None:
            raise CommandError(f"nothing ran: {skipped}")
        summary = (
            f"run {run.pk} {run.status}: fetched {run.fetched}, created {run.created}, "
            f"updated {run.updated}, unmatched {run.unmatched}, failed {run.failed}"
        )
        if run.status == "failed":
            raise CommandError(f"{summary}; {run.error_code}: {run.error_message}")
        self.stdout.write(self.style.SUCCESS(summary))
