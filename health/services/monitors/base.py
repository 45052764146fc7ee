"""What every monitor declares: its key, the CTA reason it raises, its thresholds (with
defaults, bounds and a description each) and a set-based scan over all active accounts."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from cs_platform.core.errors import InvalidInput
from customers.services.ctas import CtaFinding


@dataclass(frozen=True)
class Threshold:
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None  # for list-of-strings thresholds

    def check(self, value: Any) -> str | None:
        """None when `value` fits, else why not."""
        if isinstance(self.default, bool):
            return None if isinstance(value, bool) else "must be true or false"
        if isinstance(self.default, list):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return "must be a list of strings"
            bad = [v for v in value if self.choices and v not in self.choices]
            return f"unknown values {bad}; allowed: {list(self.choices or ())}" if bad else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if isinstance(self.default, int) and not isinstance(value, int):
            return "must be a whole number"
        if not math.isfinite(value):
            return "must be finite"
        if self.minimum is not None and value < self.minimum:
            return f"must be ≥ {self.minimum}"
        if self.maximum is not None and value > self.maximum:
            return f"must be ≤ {self.maximum}"
        return None


# Shared by every monitor that raises CTAs.
COMMON_THRESHOLDS = {
    "cooldown_days": Threshold(
        14,
        "Days after a CTA for this reason was closed during which the monitor does not "
        "re-open it for the same account (0 = re-open on the next run).",
        0,
        365,
    ),
    "cta_due_days": Threshold(7, "Days from the finding to the new CTA's due date.", 0, 90),
}


@dataclass
class MonitorScan:
    """What a scan found: how many accounts it looked at and one finding per account."""

    accounts_scanned: int
    findings: list[CtaFinding]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MonitorSpec:
    key: str
    reason: str
    description: str
    interval_minutes: int
    thresholds: dict[str, Threshold]
    scan: Callable[..., MonitorScan]  # scan(*, thresholds: dict, now: datetime)

    def all_thresholds(self) -> dict[str, Threshold]:
        return {**COMMON_THRESHOLDS, **self.thresholds}

    def defaults(self) -> dict[str, Any]:
        return {name: t.default for name, t in self.all_thresholds().items()}

    def validate(self, values: dict[str, Any], *, path: str = "thresholds") -> dict[str, Any]:
        """Stored or proposed thresholds merged over the defaults; unknown names and
        out-of-range values are `invalid_input` naming each one."""
        spec = self.all_thresholds()
        errors = []
        if not isinstance(values, dict):
            raise InvalidInput(
                f"{path}: must be an object",
                details={"errors": [{"field": path, "message": "not an object", "type": "type"}]},
            )
        for name, value in values.items():
            if name not in spec:
                errors.append({"field": f"{path}.{name}", "message": "unknown threshold"})
            elif (why := spec[name].check(value)) is not None:
                errors.append({"field": f"{path}.{name}", "message": why})
        if errors:
            for e in errors:
                e["type"] = "invalid_threshold"
            fields = ", ".join(e["field"] for e in errors)
            raise InvalidInput(f"invalid thresholds: {fields}", details={"errors": errors})
        return {**self.defaults(), **values}


def due_in(now: datetime, days: int) -> date:
    return now.date() + timedelta(days=days)
