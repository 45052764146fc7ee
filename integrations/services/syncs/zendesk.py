"""Zendesk streams: organizations (linked to accounts) and tickets (stored as
SupportTicket rows), both from the incremental exports."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q

from customers.models import Account
from integrations.clients import ZendeskClient
from integrations.errors import ProviderError
from integrations.models import SupportTicket
from integrations.services.syncs.context import PageResult, SyncContext
from integrations.services.syncs.mapping import RecordInvalid, zendesk_ticket_fields
from integrations.services.syncs.matching import (
    MatchKey,
    accounts_resolve,
    contacts_by_email,
    contacts_by_external_id,
)
from integrations.services.syncs.tickets import tickets_store


def _client(ctx: SyncContext) -> ZendeskClient:
    assert isinstance(ctx.client, ZendeskClient)
    return ctx.client


# --- tickets ------------------------------------------------------------------------


def sync_tickets(ctx: SyncContext) -> None:
    """Follow the cursor export to its end, committing page by page."""
    client = _client(ctx)
    per_page = int(ctx.option("page_size", 1000))
    state = ctx.cursor("tickets") or {}
    cursor = state.get("after_cursor")
    while True:
        page = client.ticket_export_page(
            cursor=cursor, start_time=int(ctx.option("start_time", 0)), per_page=per_page
        )
        tickets, users = page["tickets"], page.get("users") or []
        next_cursor = page.get("after_cursor") or cursor
        ctx.commit_page(
            "tickets",
            lambda tickets=tickets, users=users: _tickets_write(ctx, tickets, users),
            {"after_cursor": next_cursor},
        )
        if page["end_of_stream"] or not tickets or next_cursor == cursor:
            return
        cursor = next_cursor


_OUR_TICKET = re.compile(r"^cs-platform-ticket-(\d+)$")


def mirrored_tickets_claim(ctx: SyncContext, tickets: list[dict[str, Any]]) -> int:
    """Zendesk's copies of tickets we mirrored carry our id as their ``external_id``
    (``cs-platform-ticket-<pk>``). Link each to its local ticket before the page is
    stored, so the export updates that ticket instead of importing a second one when it
    arrives before the mirror's own outcome was recorded. Returns how many were linked."""
    ours = {}
    for ticket in tickets:
        found = _OUR_TICKET.match(str(ticket.get("external_id") or ""))
        if found and ticket.get("id") is not None:
            ours[int(found.group(1))] = str(ticket["id"])
    linked = 0
    for local_id, remote_id in ours.items():
        linked += (
            SupportTicket.objects.filter(pk=local_id, external_id__isnull=True)
            .filter(Q(connection__isnull=True) | Q(connection_id=ctx.connection.pk))
            .update(connection_id=ctx.connection.pk, external_id=remote_id)
        )
    return linked


def _tickets_write(
    ctx: SyncContext, tickets: list[dict[str, Any]], users: list[dict[str, Any]]
) -> PageResult:
    result = PageResult(fetched=len(tickets))
    mirrored_tickets_claim(ctx, tickets)
    emails = {u.get("id"): str(u.get("email") or "").lower() for u in users}
    parsed: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for ticket in tickets:
        try:
            parsed.append((ticket, zendesk_ticket_fields(ticket)))
        except RecordInvalid as exc:
            result.failed_record("tickets", ticket.get("id"), str(exc))
    keys = [
        MatchKey.build(t.get("organization_id"), emails=[emails.get(t.get("requester_id"))])
        for t, _ in parsed
    ]
    accounts = accounts_resolve(keys, external_field="zendesk_org_id").account_ids
    requester_ids = [str(t["requester_id"]) for t, _ in parsed if t.get("requester_id")]
    by_user_id = contacts_by_external_id("zendesk_user_id", requester_ids)
    by_email = contacts_by_email(
        [e for e in emails.values() if e], [a for a in accounts if a is not None]
    )
    matched = []
    for (ticket, fields), account_id in zip(parsed, accounts, strict=True):
        if account_id is None:
            result.unmatched_record(
                "tickets",
                fields["external_id"],
                f"no account for organization {ticket.get('organization_id')} or requester "
                f"{emails.get(ticket.get('requester_id')) or ticket.get('requester_id')}",
            )
            continue
        known = by_user_id.get(str(ticket.get("requester_id")))
        contact_id = known[0] if known and known[1] == account_id else None
        if contact_id is None:
            contact_id = by_email.get((account_id, emails.get(ticket.get("requester_id"), "")))
        matched.append((fields, account_id, contact_id))
    return tickets_store(ctx, "tickets", matched, result)


# --- organizations ------------------------------------------------------------------


def sync_organizations(ctx: SyncContext) -> None:
    """Link accounts to Zendesk organizations (by the org id we hold, else by domain),
    so tickets match through ``organization_id``. Unknown organizations are reported."""
    client = _client(ctx)
    per_page = int(ctx.option("page_size", 1000))
    state = ctx.cursor("organizations") or {}
    start_time = int(state.get("start_time", ctx.option("start_time", 0)))
    seen: set[str] = set()  # the time-based export repeats the boundary record
    while True:
        page = client.organization_export_page(start_time=start_time, per_page=per_page)
        orgs = [o for o in page["organizations"] if str(o.get("id")) not in seen]
        seen.update(str(o.get("id")) for o in orgs)
        end_time = int(page["end_time"])
        ctx.commit_page(
            "organizations", lambda orgs=orgs: _organizations_write(orgs), {"start_time": end_time}
        )
        if page.get("end_of_stream"):
            return
        if end_time <= start_time and not orgs:
            raise ProviderError("zendesk", f"organization export stuck at start_time {end_time}")
        start_time = end_time


def _organizations_write(orgs: list[dict[str, Any]]) -> PageResult:
    result = PageResult(fetched=len(orgs))
    valid = [o for o in orgs if o.get("id") not in (None, "")]
    for org in orgs:
        if org not in valid:
            result.failed_record("organizations", None, "id is missing")
    keys = [MatchKey.build(o["id"], domains=o.get("domain_names") or []) for o in valid]
    resolution = accounts_resolve(keys, external_field="zendesk_org_id")
    to_link: dict[int, str] = {}
    for org, key, account_id in zip(valid, keys, resolution.account_ids, strict=True):
        if account_id is None:
            result.unmatched_record(
                "organizations",
                org["id"],
                f"no account with zendesk_org_id {org['id']} or domain in "
                f"{', '.join(key.domains) or '(none)'}",
            )
        elif key.external_id not in resolution.by_external_id:
            to_link[account_id] = key.external_id or ""
    if to_link:
        taken = dict(Account.objects.filter(pk__in=to_link).values_list("pk", "zendesk_org_id"))
        linkable = {pk: org for pk, org in to_link.items() if not taken.get(pk)}
        for pk, org in to_link.items():
            if pk not in linkable:
                result.unmatched_record(
                    "organizations", org, f"account {pk} is linked to organization {taken[pk]}"
                )
        accounts = [Account(pk=pk, zendesk_org_id=org) for pk, org in linkable.items()]
        Account.objects.bulk_update(accounts, ["zendesk_org_id"])
        result.updated += len(accounts)
        result.details["linked_zendesk_org_ids"] = {str(pk): org for pk, org in linkable.items()}
    return result
