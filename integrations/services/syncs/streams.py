"""Which streams each provider syncs, in the order a full sync runs them (accounts are
linked before the records that are matched through them)."""

from __future__ import annotations

from collections.abc import Callable

from integrations.services.syncs import intercom, mixpanel, zendesk
from integrations.services.syncs.context import SyncContext

StreamSync = Callable[[SyncContext], None]

STREAMS: dict[str, dict[str, StreamSync]] = {
    "zendesk": {
        "organizations": zendesk.sync_organizations,
        "tickets": zendesk.sync_tickets,
    },
    "intercom": {
        "contacts": intercom.sync_contacts,
        "conversations": intercom.sync_conversations,
    },
    "mixpanel": {"events": mixpanel.sync_events},
    # SendGrid events arrive through the signed event webhook, not a pull sync.
}


def streams_for(provider: str, stream: str) -> list[tuple[str, StreamSync]]:
    known = STREAMS.get(provider, {})
    if stream == "all":
        return list(known.items())
    return [(stream, known[stream])]
