"""The one clock: every "now" and "today" in the project comes from here.

Production reads the system clock. Two ways move it, both for tests, demos and the CI
date matrix, never for a real deployment:

- the environment variable ``CS_TODAY=YYYY-MM-DD`` shifts the clock by whole days so that
  today's date is that date while time keeps flowing (read once per process, so a run
  that crosses midnight keeps counting);
- ``clock_travel(moment)`` (a context manager; the ``clock`` test fixture wraps it) moves
  it to a given date or instant inside one test, flowing from there or frozen.

Nothing else may call ``datetime.now()``, ``date.today()``, ``time.time()``,
``timezone.now()`` or ``timezone.localdate()``: ``tests/test_clock.py`` walks the tree.
Model timestamps stamped on save use ``StampField``, which asks this clock too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

ENV_VAR = "CS_TODAY"

_env_shift: timedelta | None = None
_travel_shift: timedelta | None = None
_frozen: datetime | None = None


def _system_now() -> datetime:
    return datetime.now(UTC)  # the clock's only reading of the system time


def _zone() -> tzinfo:
    try:
        from django.conf import settings

        name = settings.TIME_ZONE if settings.configured else None
    except ImportError:  # pragma: no cover - Django is always installed here
        name = None
    return ZoneInfo(name) if name else UTC


def _shift_from_env() -> timedelta:
    global _env_shift
    if _env_shift is None:
        value = os.environ.get(ENV_VAR, "").strip()
        if not value:
            _env_shift = timedelta(0)
        else:
            try:
                target = date.fromisoformat(value)
            except ValueError:
                raise ValueError(
                    f"{ENV_VAR} must be a date like 2028-02-29, not {value!r}"
                ) from None
            real_today = _system_now().astimezone(_zone()).date()
            _env_shift = timedelta(days=(target - real_today).days)
    return _env_shift


def now() -> datetime:
    """The current instant (aware, UTC)."""
    if _frozen is not None:
        return _frozen
    if _travel_shift is not None:
        return _system_now() + _travel_shift
    return _system_now() + _shift_from_env()


def today() -> date:
    """Today's date in the project's time zone (``settings.TIME_ZONE``)."""
    return now().astimezone(_zone()).date()


def epoch() -> float:
    """The current instant as POSIX seconds (what signatures and provider APIs carry)."""
    return now().timestamp()


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in the project's time zone, as an aware instant."""
    return datetime.combine(day, time.min, tzinfo=_zone())


def is_shifted() -> bool:
    """Whether the clock runs away from the system clock (``CS_TODAY`` or a travel)."""
    return _frozen is not None or _travel_shift is not None or _shift_from_env() != timedelta(0)


@contextmanager
def clock_travel(moment: date | datetime, *, freeze: bool = False) -> Iterator[None]:
    """Move the clock to ``moment`` (a date means its noon in the project's zone, far
    from either midnight) for the duration of the block; it keeps flowing from there
    unless ``freeze``."""
    global _travel_shift, _frozen
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(12, 0), tzinfo=_zone())
    elif moment.tzinfo is None:
        raise ValueError("clock_travel needs an aware datetime")
    saved = (_travel_shift, _frozen)
    if freeze:
        _frozen = moment.astimezone(UTC)
    else:
        _frozen = None
        _travel_shift = moment - _system_now()
    try:
        yield
    finally:
        _travel_shift, _frozen = saved
