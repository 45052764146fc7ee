"""Intercom streams: contacts (linked to or created as account contacts) and
conversations (stored as SupportTicket rows), both by search sorted on ``updated_at``.

The cursor is a high-water mark: ``updated_since`` = the ``updated_at`` of the last
committed record. Resuming searches ``updated_at >= updated_since``, so records sharing
that second are fetched again and re-applied as the no-op upserts they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from customers.models import Contact
from customers.services.erased import erased_rows_refuse
from integrations.clients import IntercomClient
from integrations.services.syncs.context import PageResult, SyncContext
from integrations.services.syncs.mapping import (
    RecordInvalid,
    intercom_contact_fields,
    intercom_conversation_fields,
)
from integrations.services.syncs.matching import (
    MatchKey,
    accounts_resolve,
    contacts_by_email,
    contacts_by_external_id,
    email_domain,
)
from integrations.services.syncs.tickets import tickets_store


def _search_all(
    ctx: SyncContext,
    kind: str,
    write: Callable[[list[dict[str, Any]]], PageResult],
) -> None:
    assert isinstance(ctx.client, IntercomClient)
    per_page = int(ctx.option("page_size", 150))
    state = ctx.cursor(kind) or {}
    since = state.get("updated_since")
    starting_after = None
    while True:
        records, starting_after = ctx.client.search_page(
            kind, updated_since=since, starting_after=starting_after, per_page=per_page
        )
        stamps = [r["updated_at"] for r in records if isinstance(r.get("updated_at"), int)]
        high_water = max(stamps, default=None)
        if high_water is not None and since is not None:
            high_water = max(high_water, since)
        cursor = {"updated_since": high_water if high_water is not None else since}
        ctx.commit_page(kind, lambda records=records: write(records), cursor)
        if not starting_after or not records:
            return


# --- contacts -----------------------------------------------------------------------


def sync_contacts(ctx: SyncContext) -> None:
    _search_all(ctx, "contacts", lambda records: _contacts_write(records))


def _contacts_write(records: list[dict[str, Any]]) -> PageResult:
    result = PageResult(fetched=len(records))
    parsed = []
    for record in records:
        try:
            parsed.append(intercom_contact_fields(record))
        except RecordInvalid as exc:
            result.failed_record("contacts", record.get("id"), str(exc))
    # A person erased under GDPR is not re-created from the provider's copy: counted, and
    # sampled without their id (the sample must not link back to them either).
    erased = erased_rows_refuse(
        (i, {"email": p["email"], "intercom_contact_id": p["intercom_contact_id"]})
        for i, p in enumerate(parsed)
    )
    for _ in erased:
        result.unmatched_record("contacts", "-", "a person erased under GDPR: not re-created")
    parsed = [p for i, p in enumerate(parsed) if i not in erased]
    keys = [MatchKey.build(p["company_id"], emails=[p["email"]]) for p in parsed]
    accounts = accounts_resolve(keys, external_field="intercom_company_id").account_ids
    by_intercom_id = contacts_by_external_id(
        "intercom_contact_id", [p["intercom_contact_id"] for p in parsed]
    )
    by_email = contacts_by_email(
        [p["email"] for p in parsed], [a for a in accounts if a is not None]
    )
    existing = {
        c.pk: c
        for c in Contact.objects.filter(
            pk__in=[v[0] for v in by_intercom_id.values()] + list(by_email.values())
        )
    }
    to_create: list[Contact] = []
    to_update: list[Contact] = []
    claimed: set[tuple[int, str]] = set()
    for fields, account_id in zip(parsed, accounts, strict=True):
        intercom_id = fields["intercom_contact_id"]
        if account_id is None:
            reason = f"no account for company {fields['company_id'] or '(none)'}"
            result.unmatched_record("contacts", intercom_id, f"{reason} or {fields['email']}")
            continue
        known = by_intercom_id.get(intercom_id)
        contact_id = known[0] if known else by_email.get((account_id, fields["email"]))
        if contact_id is None:
            if (account_id, fields["email"]) in claimed:
                result.failed_record("contacts", intercom_id, "e-mail repeated in one page")
                continue
            claimed.add((account_id, fields["email"]))
            to_create.append(
                Contact(
                    account_id=account_id,
                    email=fields["email"],
                    first_name=fields["first_name"],
                    last_name=fields["last_name"],
                    intercom_contact_id=intercom_id,
                    last_seen_at=fields["last_seen_at"],
                )
            )
            continue
        contact = existing[contact_id]
        if contact.erased_at is not None:
            continue  # erased under GDPR: the provider's copy must not bring it back
        new_values = {"intercom_contact_id": intercom_id, "last_seen_at": fields["last_seen_at"]}
        if any(getattr(contact, k) != v for k, v in new_values.items()):
            for name, value in new_values.items():
                setattr(contact, name, value)
            to_update.append(contact)
    Contact.objects.bulk_create(to_create)
    if to_update:
        Contact.objects.bulk_update(to_update, ["intercom_contact_id", "last_seen_at"])
    result.created, result.updated = len(to_create), len(to_update)
    return result


# --- conversations ------------------------------------------------------------------


def sync_conversations(ctx: SyncContext) -> None:
    _search_all(ctx, "conversations", lambda records: _conversations_write(ctx, records))


def _author(conversation: dict[str, Any]) -> tuple[str | None, str]:
    contacts = (conversation.get("contacts") or {}).get("contacts") or []
    author = (conversation.get("source") or {}).get("author") or {}
    contact_id = contacts[0].get("id") if contacts and isinstance(contacts[0], dict) else None
    return (str(contact_id) if contact_id else None), str(author.get("email") or "").lower()


def _conversations_write(ctx: SyncContext, records: list[dict[str, Any]]) -> PageResult:
    result = PageResult(fetched=len(records))
    parsed = []
    for record in records:
        try:
            parsed.append((record, intercom_conversation_fields(record)))
        except RecordInvalid as exc:
            result.failed_record("conversations", record.get("id"), str(exc))
    authors = [_author(record) for record, _ in parsed]
    known = contacts_by_external_id("intercom_contact_id", [a for a, _ in authors if a])
    keys = [MatchKey.build(None, emails=[email]) for _, email in authors]
    by_domain = accounts_resolve(keys, external_field="intercom_company_id").account_ids
    matched = []
    for (_record, fields), (author_id, email), domain_account in zip(
        parsed, authors, by_domain, strict=True
    ):
        contact = known.get(author_id or "")
        account_id = contact[1] if contact else domain_account
        if account_id is None:
            result.unmatched_record(
                "conversations",
                fields["external_id"],
                f"no contact {author_id} and no account for {email_domain(email) or email}",
            )
            continue
        matched.append((fields, account_id, contact[0] if contact else None))
    return tickets_store(ctx, "conversations", matched, result)
