"""The project clock: one place for "now" and "today", movable by tests and CI."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from cs_platform.core import clock

ROOT = Path(__file__).resolve().parents[1]
APPS = ["audit", "bench", "cs_platform", "customers", "gdpr", "health", "integrations", "portfolio",
        "mcp_bridge", "scripts", "tests"]  # fmt: skip
# (module attribute, call) pairs that read the system clock behind the project clock's back.
FORBIDDEN = {("timezone", "now"), ("timezone", "localdate"), ("datetime", "now"),
             ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
             ("time", "time")}  # fmt: skip


def _system_clock_reads(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), str(path))
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
        # timezone.localdate(moment) converts a given instant: only the argument-less form reads
        if (name, node.func.attr) in FORBIDDEN and not (
            node.func.attr == "localdate" and node.args
        ):
            lines.append(node.lineno)
    return lines


def test_nothing_reads_the_system_clock_but_the_clock_module():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or path == ROOT / "cs_platform/core/clock.py":
                continue
            offenders += [f"{path.relative_to(ROOT)}:{n}" for n in _system_clock_reads(path)]
    assert offenders == []


def test_travel_moves_now_and_today_and_time_keeps_flowing():
    with clock.clock_travel(date(2028, 2, 29)):
        first = clock.now()
        assert clock.today() == date(2028, 2, 29)
        assert first.hour == 12 and first.tzinfo is not None
        assert clock.now() >= first
    assert abs(clock.now() - clock._system_now()) < timedelta(seconds=5) or clock.is_shifted()


def test_a_frozen_clock_stands_still_and_travels_nest():
    moment = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    with clock.clock_travel(moment, freeze=True):
        assert clock.now() == moment == clock.now()
        with clock.clock_travel(date(2027, 1, 4)):
            assert clock.today() == date(2027, 1, 4)
        assert clock.now() == moment


def test_naive_instants_are_refused():
    with pytest.raises(ValueError), clock.clock_travel(datetime(2027, 1, 1)):
        pass


@pytest.mark.parametrize("day", ["2028-02-29", "2026-12-31"])
def test_cs_today_sets_the_date_of_a_whole_process(day):
    code = (
        "from cs_platform.core import clock; print(clock.today().isoformat(), clock.is_shifted())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={"CS_TODAY": day, "PATH": "/usr/bin:/bin"},
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split()  # fmt: skip
    assert out == [day, "True"]


def test_a_malformed_cs_today_names_the_variable():
    out = subprocess.run(
        [sys.executable, "-c", "from cs_platform.core import clock; clock.now()"],
        env={"CS_TODAY": "29/02/2028", "PATH": "/usr/bin:/bin"},
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode != 0 and "CS_TODAY must be a date" in out.stderr


@pytest.mark.django_db
def test_model_timestamps_come_from_the_clock(staff):
    from customers.models import Account

    with clock.clock_travel(datetime(2027, 3, 1, 9, 30, tzinfo=UTC), freeze=True):
        account = Account.objects.create(name="Clockwork", owner=staff["csm1"])
    assert account.created_at == datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    assert account.updated_at == account.created_at


def test_the_travel_fixture_moves_the_clock_until_the_test_ends(travel):
    travel(date(2027, 1, 3))
    assert clock.today() == date(2027, 1, 3)
    travel(datetime(2028, 2, 29, 23, 0, tzinfo=UTC), freeze=True)
    assert clock.now() == datetime(2028, 2, 29, 23, 0, tzinfo=UTC)
