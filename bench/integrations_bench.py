"""Provider sync throughput against the sandbox providers, on PostgreSQL.

    .venv/bin/python bench/integrations_bench.py            # writes bench/results/integrations.json

- Mixpanel: a full export (>= 500,000 raw events, JSON lines over HTTP) rolled into
  daily usage and feature adoption: events/s.
- Zendesk: a full incremental-cursor export of >= 50,000 tickets upserted: tickets/s.

The sandbox runs as its own process (``manage.py sandbox_providers``), like a remote
provider, so its work does not share this process's interpreter. The benchmark uses a
database of its own, ``BENCH_DATABASE_URL`` (default: DATABASE_URL's server, database
``<name>_integrations_bench``), which it drops, creates and migrates; its name must end
in ``_bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "integrations.json"
TARGETS = {"mixpanel_events_per_second": 20_000, "zendesk_tickets_per_second": 2_000}
sys.path.insert(0, str(ROOT))

from cs_platform.core import clock  # noqa: E402 (needs ROOT on sys.path)


def _bench_url(database_url: str) -> str:
    """The PostgreSQL server of DATABASE_URL, with a database of the benchmark's own."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        return "postgres://postgres@127.0.0.1:5432/cs_platform_integrations_bench"
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"{parts.path}_integrations_bench"))


def _prepare_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.endswith("_bench"):
        raise SystemExit(f"refusing to drop {name!r}: the benchmark database must end in _bench")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Sandbox:
    """``manage.py sandbox_providers`` in a subprocess; its first stdout line is info."""

    def __init__(self, **options: object) -> None:
        args = [sys.executable, "manage.py", "sandbox_providers", "--port", "0"]
        for key, value in options.items():
            args += [f"--{key.replace('_', '-')}", str(value)]
        self.proc = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise SystemExit("the sandbox did not start")
        self.info = json.loads(line)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _seed_accounts(numbers: range) -> None:
    from customers.demo_identity import demo_company
    from customers.models import Account

    existing = set(Account.objects.values_list("mixpanel_group_id", flat=True))
    rows = []
    for n in numbers:
        c = demo_company(n)
        if c.mixpanel_group_id not in existing:
            rows.append(
                Account(
                    name=c.name,
                    domain=c.domain,
                    zendesk_org_id=c.zendesk_org_id,
                    intercom_company_id=c.intercom_company_id,
                    mixpanel_group_id=c.mixpanel_group_id,
                )
            )
    Account.objects.bulk_create(rows, batch_size=2000)


def _connection(sandbox: Sandbox, provider: str, **options: object):
    from integrations.models import Connection

    c = sandbox.info["credentials"]
    credentials = {
        "zendesk": {"email": c["zendesk_email"], "api_token": c["zendesk_api_token"]},
        "mixpanel": {
            "username": c["mixpanel_username"],
            "secret": c["mixpanel_secret"],
            "project_id": str(c["mixpanel_project_id"]),
        },
    }[provider]
    return Connection.objects.create(
        provider=provider,
        name=f"bench {provider} {time.time_ns()}",
        base_url=sandbox.info["base_urls"][provider],
        credentials=credentials,
        settings=options,
    )


def _timed_sync(conn_id: int, stream: str) -> tuple[object, float]:
    from integrations.services.syncs import sync_run_execute

    started = time.perf_counter()
    run, skipped = sync_run_execute(connection_id=conn_id, stream=stream, trigger="cli")
    elapsed = time.perf_counter() - started
    if run is None or run.status != "succeeded":
        raise SystemExit(f"sync failed: {skipped or (run.error_code, run.error_message)}")
    return run, elapsed


def bench_mixpanel(args: argparse.Namespace) -> dict[str, object]:
    from django.db.models import Sum

    from health.models import FeatureAdoption, UsageDaily
    from integrations.sandbox import Dataset, SandboxConfig

    sandbox = Sandbox(
        accounts=args.mp_accounts, days=args.mp_days, events_per_day=args.mp_events_per_day
    )
    try:
        _seed_accounts(range(1, args.mp_accounts + 1))
        conn = _connection(
            sandbox, "mixpanel", history_days=args.mp_days,
            export_days_per_request=args.mp_days_per_request,
        )  # fmt: skip
        run, elapsed = _timed_sync(conn.pk, "events")
    finally:
        sandbox.stop()
    # The sandbox's own generator says how many events the export held: all were read.
    dataset = Dataset(
        SandboxConfig(
            accounts=args.mp_accounts, days=args.mp_days, events_per_day=args.mp_events_per_day,
            seed=sandbox.info["seed"], today=date.fromisoformat(sandbox.info["today"]),
        )
    )  # fmt: skip
    expected = dataset.event_count(dataset.first_day, dataset.today - timedelta(days=1))
    assert run.fetched == expected, (run.fetched, expected)
    rolled = UsageDaily.objects.filter(source="mixpanel").aggregate(e=Sum("events"))["e"] or 0
    # Every matched event is in a daily row; the rest were unmatched or invalid.
    assert rolled + run.unmatched + run.failed == run.fetched, (rolled, run.fetched)
    return {
        "events": run.fetched,
        "events_rolled_into_usage": rolled,
        "unmatched_events": run.unmatched,
        "usage_daily_rows": run.created,
        "feature_adoption_rows": FeatureAdoption.objects.count(),
        "seconds": round(elapsed, 2),
        "events_per_second": round(run.fetched / elapsed),
        "sandbox": {
            "accounts": args.mp_accounts,
            "days": args.mp_days,
            "events_per_account_day": args.mp_events_per_day,
            "export_days_per_request": args.mp_days_per_request,
        },
    }


def bench_zendesk(args: argparse.Namespace) -> dict[str, object]:
    from integrations.models import SupportTicket

    sandbox = Sandbox(
        accounts=args.zd_accounts, days=90, tickets_per_account=args.zd_tickets_per_account
    )
    try:
        _seed_accounts(range(1, args.zd_accounts + 1))
        conn = _connection(sandbox, "zendesk", page_size=1000)
        run, elapsed = _timed_sync(conn.pk, "tickets")
        stored = SupportTicket.objects.filter(connection=conn).count()
        assert stored == run.created == run.fetched - run.unmatched, (stored, run.created)
        again, again_elapsed = _timed_sync(conn.pk, "tickets")
    finally:
        sandbox.stop()
    return {
        "tickets": run.fetched,
        "tickets_upserted": run.created,
        "unmatched_tickets": run.unmatched,
        "seconds": round(elapsed, 2),
        "tickets_per_second": round(run.fetched / elapsed),
        "incremental_rerun": {"fetched": again.fetched, "created": again.created,
                              "updated": again.updated, "seconds": round(again_elapsed, 2)},
        "sandbox": {"accounts": args.zd_accounts,
                    "tickets_per_account": args.zd_tickets_per_account, "page_size": 1000},
    }  # fmt: skip


def _machine(database_version: str) -> dict[str, object]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "database": database_version,
        # Shared machine: other work running at the same time shows here.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _history(path: Path) -> list[dict]:
    """Earlier measurements kept beside the new one: hosts differ by 2-3x in speed."""
    if not path.exists():
        return []
    previous = json.loads(path.read_text())
    if "mixpanel_events_into_daily_usage" not in previous:
        return previous.get("history", [])
    earlier = {
        "date": previous.get("date"),
        "platform": previous.get("machine", {}).get("platform"),
        "load_average_at_start": previous.get("machine", {}).get("load_average_at_start"),
        "mixpanel_events_per_second": previous["mixpanel_events_into_daily_usage"].get(
            "events_per_second"
        ),
        "zendesk_tickets_per_second": previous["zendesk_tickets_upserted"].get(
            "tickets_per_second"
        ),
        "targets_met": previous.get("targets_met"),
    }
    return [earlier, *previous.get("history", [])][:10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mp-accounts", type=int, default=200)
    parser.add_argument("--mp-days", type=int, default=90)
    parser.add_argument("--mp-events-per-day", type=float, default=30.0)
    parser.add_argument("--mp-days-per-request", type=int, default=7)
    parser.add_argument("--zd-accounts", type=int, default=500)
    parser.add_argument("--zd-tickets-per-account", type=float, default=100.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL") or _bench_url(os.environ.get("DATABASE_URL", ""))
    _prepare_database(url)
    os.environ.update(
        DATABASE_URL=url, DB_POOL="false", DJANGO_SETTINGS_MODULE="cs_platform.settings"
    )
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = f"PostgreSQL {cursor.fetchone()[0]}"

    machine = _machine(version)
    mixpanel = bench_mixpanel(args)
    print(f"mixpanel: {mixpanel['events']} events in {mixpanel['seconds']} s = "
          f"{mixpanel['events_per_second']} events/s")  # fmt: skip
    zendesk = bench_zendesk(args)
    print(f"zendesk: {zendesk['tickets']} tickets in {zendesk['seconds']} s = "
          f"{zendesk['tickets_per_second']} tickets/s")  # fmt: skip
    met = {
        "mixpanel_events_per_second": mixpanel["events_per_second"]
        >= TARGETS["mixpanel_events_per_second"],
        "zendesk_tickets_per_second": zendesk["tickets_per_second"]
        >= TARGETS["zendesk_tickets_per_second"],
    }
    result = {
        "benchmark": "integrations provider syncs against the sandbox",
        "date": clock.now().isoformat(timespec="seconds"),
        "machine": machine,
        "mixpanel_events_into_daily_usage": mixpanel,
        "zendesk_tickets_upserted": zendesk,
        "targets": TARGETS,
        "targets_met": met,
    }
    result["history"] = _history(args.output)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.output}; targets met: {met}")
    if not all(met.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
