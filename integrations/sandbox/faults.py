"""Switchable faults and request counters, shared by all handler threads."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

PROVIDERS = ("zendesk", "intercom", "mixpanel", "sendgrid")
# slow: wait `delay`, then handle the request; hold: handle it (the provider has acted on
# it), then wait `delay` before answering, as when a response is lost or late.
MODES = ("429", "500", "503", "slow", "hold", "drop", "none")


@dataclass
class Fault:
    mode: str
    remaining: int | None  # requests still affected; None = until reset
    retry_after: float | None = None
    delay: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "remaining": self.remaining,
            "retry_after": self.retry_after,
            "delay": self.delay,
        }


class FaultBoard:
    """One active fault per provider (or "*" for all); a provider's own fault wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}

    def set(self, spec: dict[str, Any]) -> Fault:
        """Install a fault from a control-endpoint body; raises ValueError when invalid."""
        provider = spec.get("provider", "*")
        mode = str(spec.get("mode", ""))
        if provider != "*" and provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)} or '*'")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        count = spec.get("count")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValueError("count must be a positive integer (omit it for until-reset)")
        try:
            retry_after = None if spec.get("retry_after") is None else float(spec["retry_after"])
            delay = float(spec.get("delay", 2.0 if mode in ("slow", "hold") else 0.0))
        except (TypeError, ValueError):
            raise ValueError("retry_after and delay must be numbers of seconds") from None
        if (retry_after is not None and retry_after < 0) or delay < 0:
            raise ValueError("retry_after and delay must not be negative")
        fault = Fault(mode, count, retry_after, delay)
        with self._lock:
            if mode == "none":
                self._faults.pop(provider, None)
            else:
                self._faults[provider] = fault
        return fault

    def take(self, provider: str) -> Fault | None:
        """The fault to apply to this request, consuming one unit of its count."""
        with self._lock:
            key = provider if provider in self._faults else "*"
            fault = self._faults.get(key)
            if fault is None:
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[key]
            return Fault(fault.mode, fault.remaining, fault.retry_after, fault.delay)

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {key: fault.as_dict() for key, fault in self._faults.items()}


class RequestStats:
    """Requests that reached each provider (faulted or not); control calls excluded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._providers: Counter[str] = Counter()
        self._paths: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()

    def record(self, provider: str, method: str, path: str) -> None:
        with self._lock:
            self._providers[provider] += 1
            self._paths[f"{method} {path}"] += 1

    def record_fault(self, provider: str, mode: str) -> None:
        with self._lock:
            self._faults[f"{provider}:{mode}"] += 1

    def count(self, provider: str) -> int:
        with self._lock:
            return self._providers[provider]

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self._providers.values()),
                "providers": {p: self._providers[p] for p in PROVIDERS},
                "paths": dict(self._paths),
                "faults_applied": dict(self._faults),
            }

    def reset(self) -> None:
        with self._lock:
            self._providers.clear()
            self._paths.clear()
            self._faults.clear()
