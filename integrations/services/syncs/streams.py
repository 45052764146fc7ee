"""Which streams each provider syncs, in the order a full sync runs them (accounts are
linked before the records that are matched through them).

A stream that writes another app's tables is registered by that app from its
`AppConfig.ready`: Mixpanel's `events` stream fills health's daily usage and feature
adoption, and health sits above integrations in the layer order, so
`health.services.mixpanel_usage` registers it (health/apps.py). The sync framework here
(runs, cursors, page commits, provider clients) does not import health.
"""

from __future__ import annotations

from collections.abc import Callable

from integrations.services.syncs import intercom, zendesk
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
    # "mixpanel": {"events": ...} is registered by health (see above).
    # SendGrid events arrive through the signed event webhook, not a pull sync.
}


def stream_register(provider: str, stream: str, sync: StreamSync) -> None:
    """Add a stream to `provider`'s, after those it already has (called from `ready()`)."""
    streams = STREAMS.setdefault(provider, {})
    if streams.get(stream, sync) is not sync:
        raise ValueError(f"{provider} stream {stream!r} is registered twice")
    streams[stream] = sync


def streams_for(provider: str, stream: str) -> list[tuple[str, StreamSync]]:
    known = STREAMS.get(provider, {})
    if stream == "all":
        return list(known.items())
    return [(stream, known[stream])]
