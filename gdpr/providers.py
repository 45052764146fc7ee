"""Copies of a person that providers hold, and what an erasure does about each.

The erasure (`gdpr.services.erase`) cannot import the integrations app (it sits above
gdpr in the layers), so integrations registers one eraser here at start-up. An eraser is
called inside the erasure's transaction, before the contacts lose their provider ids:
it queues what can be deleted through an API (the outbox sends it after commit) and
reports the rest as work to do by hand, never as done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from customers.models import Contact

REQUESTED = "deletion_requested"
BY_HAND = "to_do_by_hand"


@dataclass(frozen=True)
class ProviderCopy:
    provider: str
    status: str  # REQUESTED or BY_HAND
    detail: str  # what was done, or what an operator must do
    outbox_id: int | None = None
    # The provider's id of the record, for an operator who deletes it by hand: it goes to
    # the request's report and the command's output, never to the audit trail.
    provider_ref: str = ""

    def as_dict(self, *, with_ref: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"provider": self.provider, "status": self.status}
        out["detail"] = self.detail
        if self.outbox_id is not None:
            out["outbox_id"] = self.outbox_id
        if with_ref and self.provider_ref:
            out["provider_ref"] = self.provider_ref
        return out


ProviderEraser = Callable[[Sequence[Contact]], list[ProviderCopy]]
_ERASERS: dict[str, ProviderEraser] = {}


def provider_eraser_register(name: str, eraser: ProviderEraser) -> None:
    _ERASERS[name] = eraser


def provider_copies_erase(contacts: Sequence[Contact]) -> list[ProviderCopy]:
    """Every registered eraser's report for `contacts` (read before they are erased)."""
    copies: list[ProviderCopy] = []
    for _name, eraser in sorted(_ERASERS.items()):
        copies.extend(eraser(contacts))
    return copies
