"""Which tests depend on the date: a pytest plugin for keeping `date_sensitive` honest.

    CS_TODAY=2028-02-29 PYTHONPATH=scripts .venv/bin/pytest -p clock_probe [-m date_sensitive]

The awkward dates of `make test-dates` (a month end, 29 February, 31 December, a Sunday,
a Monday) can only change what code does with the *calendar*: a date, a weekday, a
month or year taken from "now". Instants compared or shifted by a timedelta (a stamp, an
expiry, "6 hours ago") behave the same on any day. So while a test sets up and runs,
`clock.now()` outside a `travel` hands out a marked datetime (arithmetic and
`astimezone` keep the mark), and every calendar use of one by the project's code is
recorded: `.date()` (so `clock.today()` and a tool's `ctx.now.date()`), `.year`,
`.month`, `.day`, `weekday()`, `isocalendar()`, `strftime()`, `replace(day=…)`, made by
the project's code or by a library on its behalf (Django's `localdate`). Uses by test
helpers and the sandbox providers (placing rows relative to today) and the serialising
of a tool's answer do not count.

At the end it lists the tests whose marker disagrees: those that used the calendar and
are not marked, and those marked that did not. Run it under two far-apart dates (a test
may use the calendar only on some) and mark the union. Child processes are not seen.
CLOCK_PROBE_OUT=<file> also writes the findings as JSON. Works under xdist.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Project frames that hand a timestamp to a serialiser (pydantic's runs in Rust, so the
# nearest Python frame is the caller's): formatting an instant is not calendar logic.
SERIALISERS = {("cs_platform/core/tools.py", "_dump")}
_state: dict[str, Any] = {"uses": None}
_found: dict[str, set[str]] = {}
_marked: dict[str, bool] = {}


def _project_path(frame: FrameType) -> str | None:
    name = frame.f_code.co_filename
    if not name.startswith(str(ROOT)) or "/.venv/" in name:
        return None
    return os.path.relpath(name, ROOT)


def _is_support(path: str) -> bool:
    return (
        path.startswith("tests/") or "/tests/" in path or path.startswith("integrations/sandbox/")
    )


def _note(use: str, frame: FrameType | None) -> None:
    uses = _state["uses"]
    if uses is None:
        return
    # The use is the first project frame's (a library converting the value for it, or
    # today() and friends, act for their caller).
    while frame is not None and _project_path(frame) in ("cs_platform/core/clock.py", None):
        frame = frame.f_back
    if frame is None:
        return
    path = _project_path(frame) or "?"
    if (path, frame.f_code.co_name) in SERIALISERS or _is_support(path):
        return
    uses.add(f"{use}:{path}:{frame.f_lineno}:{frame.f_code.co_name}")


def _calendar(name: str) -> Any:
    base = getattr(datetime, name)

    def use(self: datetime, *args: Any, **kwargs: Any) -> Any:
        if name != "replace" or args or {"year", "month", "day"} & set(kwargs):
            _note(name, sys._getframe(1))
        return base(self, *args, **kwargs)

    return use


def _field(name: str) -> property:
    base = getattr(datetime, name)

    def get(self: datetime) -> int:
        _note(name, sys._getframe(1))
        return base.__get__(self)

    return property(get)


class MovedDatetime(datetime):
    """A reading of the clock that CS_TODAY moved (datetime arithmetic keeps the class)."""

    date = _calendar("date")
    weekday = _calendar("weekday")
    isoweekday = _calendar("isoweekday")
    isocalendar = _calendar("isocalendar")
    timetuple = _calendar("timetuple")
    toordinal = _calendar("toordinal")
    strftime = _calendar("strftime")
    replace = _calendar("replace")
    year = _field("year")
    month = _field("month")
    day = _field("day")


def _install() -> None:
    from cs_platform.core import clock

    read = clock.now

    def now() -> datetime:
        value = read()
        if _state["uses"] is None or clock._frozen is not None or clock._travel_shift is not None:
            return value
        return MovedDatetime.fromtimestamp(value.timestamp(), tz=value.tzinfo)

    clock.now = now  # today() and epoch() call it through the module


def pytest_configure(config: pytest.Config) -> None:
    _install()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    _state["uses"] = set()  # setup and call count; teardown does not
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        marked = item.get_closest_marker("date_sensitive") is not None
        report.user_properties.append(("clock_probe", [marked, sorted(_state["uses"] or ())]))
        _state["uses"] = None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name == "clock_probe":
            _marked[report.nodeid], uses = value
            _found[report.nodeid] = set(uses)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") or not _found:
        return
    missing = sorted(n for n, uses in _found.items() if uses and not _marked[n])
    spare = sorted(n for n, uses in _found.items() if not uses and _marked[n])
    write = terminalreporter.write_line
    write(f"clock probe: {len(_found)} tests, {sum(map(bool, _found.values()))} use the date")
    for title, names in (("use the date, not marked", missing), ("marked, no date used", spare)):
        write(f"-- {title}: {len(names)}")
        for name in names:
            write(f"   {name}")
    out = os.environ.get("CLOCK_PROBE_OUT")
    if out:
        data = {n: {"marked": _marked[n], "uses": sorted(u)} for n, u in _found.items()}
        Path(out).write_text(json.dumps(data, indent=1, sort_keys=True))
