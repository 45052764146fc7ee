"""Run the sandbox providers (Zendesk, Intercom, Mixpanel, SendGrid) on loopback."""

from __future__ import annotations

import json
import signal
from datetime import date

from django.core.management.base import CommandError

from cs_platform.core.management.demo import DemoCommand
from integrations.sandbox import SandboxServer


class Command(DemoCommand):
    refusal_hint = "It serves fake provider APIs with generated data."
    help = (
        "Serve sandbox Zendesk, Intercom, Mixpanel and SendGrid APIs over HTTP with "
        "deterministic demo data and switchable faults (POST /_sandbox/faults)."
    )
    # The sandbox needs no database or app wiring: it must start even while they are broken.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
        parser.add_argument("--accounts", type=int, default=100, help="demo accounts 1..N")
        parser.add_argument("--days", type=int, default=90, help="days of history")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--events-per-day",
            type=float,
            default=12.0,
            help="mean Mixpanel events per account per day (raise it for benchmarks)",
        )
        parser.add_argument("--tickets-per-account", type=float, default=3.0)
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="YYYY-MM-DD; data covers the --days before it (default: today, UTC)",
        )
        parser.add_argument("--verbose-requests", action="store_true", help="log each request")

    def handle(self, *args, **options):
        try:
            server = SandboxServer(
                options["host"],
                options["port"],
                accounts=options["accounts"],
                days=options["days"],
                seed=options["seed"],
                events_per_day=options["events_per_day"],
                tickets_per_account=options["tickets_per_account"],
                today=options["today"],
                verbose=options["verbose_requests"],
            )
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot start the sandbox: {exc}") from exc

        def _stop(signum, frame):
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
        info = server.info()
        # One JSON line first, so scripts (make run, benchmarks) can read URL and keys.
        self.stdout.write(json.dumps(info))
        self.stdout.flush()
        self.stderr.write(
            f"sandbox providers on {server.url} ({info['accounts']} accounts, "
            f"{info['days']} days to {info['today']}); Ctrl-C to stop"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
