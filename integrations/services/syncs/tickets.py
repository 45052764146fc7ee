"""Storing a page of provider tickets (Zendesk tickets, Intercom conversations) as
``SupportTicket`` rows, upserted on (connection, external_id)."""

from __future__ import annotations

from typing import Any

from cs_platform.core import clock
from cs_platform.core.upsert import upsert
from integrations.models import SupportTicket
from integrations.services.syncs.context import PageResult, SyncContext

# On insert only: SLA targets and mirroring state are ours, not the provider's.
_INSERT_DEFAULTS: dict[str, Any] = {
    "first_response_at": None,
    "resolved_at": None,
    "sla_breached": False,
    "mirror_status": "",
    "mirror_error": "",
}


def tickets_store(
    ctx: SyncContext,
    stream: str,
    matched: list[tuple[dict[str, Any], int, int | None]],
    result: PageResult,
) -> PageResult:
    """Upsert ``(fields, account_id, contact_id)`` rows; counts created and updated,
    skipping rows whose ``source_updated_at`` is what we already hold."""
    by_id = {fields["external_id"]: (fields, a, c) for fields, a, c in matched}  # last wins
    existing = dict(
        SupportTicket.objects.filter(
            connection_id=ctx.connection.pk, external_id__in=list(by_id)
        ).values_list("external_id", "source_updated_at")
    )
    now = clock.now()
    rows = []
    provided: list[str] = []
    for external_id, (fields, account_id, contact_id) in by_id.items():
        if external_id in existing:
            if existing[external_id] == fields["source_updated_at"]:
                continue  # unchanged
            result.updated += 1
        else:
            result.created += 1
        provided = [name for name in fields if name != "external_id"]
        rows.append(
            {
                **_INSERT_DEFAULTS,
                **fields,
                "connection": ctx.connection.pk,
                "account": account_id,
                "contact": contact_id,
                "created_at": now,
                "updated_at": now,
            }
        )
    if not rows:
        return result
    columns = list(rows[0])
    upsert(
        SupportTicket,
        columns,
        [tuple(row[c] for c in columns) for row in rows],
        conflict=["connection", "external_id"],
        where="external_id IS NOT NULL",
        # The provider owns what it sent; the rest (SLA, mirroring) stays ours.
        update=["account", "contact", "updated_at", *provided],
    )
    return result
