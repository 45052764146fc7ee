"""`manage.py seed_demo`: a deterministic demo portfolio (see portfolio/seed/)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError, CommandParser

from cs_platform.core import clock
from cs_platform.core.errors import Conflict, DomainError
from cs_platform.core.management.demo import DemoCommand
from portfolio.seed import seed_demo_run


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today must be a date like 2025-06-30, not {value!r}") from exc


class Command(DemoCommand):
    refusal_hint = "It writes generated accounts, and with --reset wipes the demo tables first."
    help = (
        "Wipe (with --reset) and generate a deterministic demo portfolio: accounts, contacts, "
        "contracts, renewals, 180 days of usage, tickets, surveys, feedback, onboarding, "
        "activities. The same --seed and --today give identical data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=300, help="How many accounts")
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42)")
        parser.add_argument(
            "--today",
            type=_iso_date,
            default=None,
            help="Anchor date YYYY-MM-DD every timestamp is relative to (default: today)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Wipe the demo tables first; required when they already hold data",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only when the demo tables are empty; otherwise leave them and exit 0",
        )

    def handle(self, *args, **options):
        today = options["today"] or clock.today()
        verbose = options["verbosity"] > 1
        try:
            summary = seed_demo_run(
                accounts=options["accounts"],
                seed=options["seed"],
                today=today,
                reset=options["reset"],
                progress=(lambda message: self.stderr.write(message)) if verbose else None,
            )
        except Conflict as exc:
            if options["if_empty"] and not options["reset"]:
                self.stdout.write("Demo data is already present; left unchanged (--if-empty).")
                return
            raise CommandError(exc.message) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["verbosity"] == 0:
            return
        width = max(len(label) for label in summary.rows)
        self.stdout.write(
            f"Seeded {summary.accounts} accounts (seed {summary.seed}, today {summary.today}) "
            f"on {summary.backend}:"
        )
        for label, count in summary.rows.items():
            seconds = summary.table_seconds.get(label, 0.0)
            self.stdout.write(f"  {label:<{width}} {count:>10,} rows {seconds:>8.2f} s")
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.total_rows:,} rows in {summary.seconds:.2f} s "
                f"({summary.total_rows / max(summary.seconds, 1e-9):,.0f} rows/s)"
            )
        )
