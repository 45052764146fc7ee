"""Resolve provider records to accounts and contacts, set-based: one query per kind of
key for a whole page, never one per record.

An account is found by the provider's external id on ``Account`` first, then by the
e-mail domain of the record's people (or the record's own domains) against
``Account.domain`` — parent domains included, public mail providers never.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models.functions import Lower

from customers.models import Account, Contact

# A gmail.com address says nothing about which customer the person works for.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com",
        "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de",
        "web.de", "mail.com", "yandex.com", "qq.com", "163.com",
    }
)  # fmt: skip


def email_domain(email: object) -> str | None:
    if not isinstance(email, str) or "@" not in email:
        return None
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    return domain if "." in domain and domain not in PUBLIC_MAIL_DOMAINS else None


def domain_candidates(domain: str) -> list[str]:
    """``eu.mail.acme.io`` → ``[eu.mail.acme.io, mail.acme.io, acme.io]``."""
    labels = domain.lower().split(".")
    return [".".join(labels[i:]) for i in range(max(1, len(labels) - 1))]


@dataclass(frozen=True)
class MatchKey:
    """What a record offers for matching: an external id and/or domains (in order)."""

    external_id: str | None = None
    domains: tuple[str, ...] = ()

    @classmethod
    def build(
        cls, external_id: object = None, emails: Iterable[object] = (), domains: Iterable[str] = ()
    ) -> MatchKey:
        found = [d.lower() for d in domains if d and d.lower() not in PUBLIC_MAIL_DOMAINS]
        found += [d for d in (email_domain(e) for e in emails) if d]
        ext = str(external_id) if external_id not in (None, "") else None
        return cls(ext, tuple(dict.fromkeys(found)))


def accounts_by_external_id(field_name: str, values: Iterable[str]) -> dict[str, int]:
    wanted = {v for v in values if v}
    if not wanted:
        return {}
    rows = Account.objects.filter(**{f"{field_name}__in": wanted}).values_list(field_name, "id")
    return dict(rows)


def accounts_by_domain(domains: Iterable[str]) -> dict[str, int]:
    """Account id per given domain, trying parent domains when the exact one is unknown."""
    domains = {d for d in domains if d}
    if not domains:
        return {}
    candidates = {c for d in domains for c in domain_candidates(d)}
    known = dict(
        Account.objects.annotate(domain_lower=Lower("domain"))
        .filter(domain_lower__in=candidates)
        .values_list("domain_lower", "id")
    )
    found = {}
    for domain in domains:
        for candidate in domain_candidates(domain):
            if candidate in known:
                found[domain] = known[candidate]
                break
    return found


@dataclass
class AccountResolution:
    account_ids: list[int | None]
    by_external_id: dict[str, int] = field(default_factory=dict)
    by_domain: dict[str, int] = field(default_factory=dict)


def accounts_resolve(keys: Sequence[MatchKey], *, external_field: str) -> AccountResolution:
    """Account id per key (None when nothing matched), in two queries at most."""
    by_ext = accounts_by_external_id(external_field, (k.external_id for k in keys))
    need_domains = {d for k in keys if by_ext.get(k.external_id or "") is None for d in k.domains}
    by_domain = accounts_by_domain(need_domains)
    ids: list[int | None] = []
    for key in keys:
        account_id = by_ext.get(key.external_id) if key.external_id else None
        if account_id is None:
            account_id = next((by_domain[d] for d in key.domains if d in by_domain), None)
        ids.append(account_id)
    return AccountResolution(ids, by_ext, by_domain)


def contacts_by_external_id(field_name: str, values: Iterable[str]) -> dict[str, tuple[int, int]]:
    """(contact id, account id) per external id."""
    wanted = {v for v in values if v}
    if not wanted:
        return {}
    rows = Contact.objects.filter(**{f"{field_name}__in": wanted}).values_list(
        field_name, "id", "account_id"
    )
    return {value: (contact_id, account_id) for value, contact_id, account_id in rows}


def contacts_by_email(
    emails: Iterable[str], account_ids: Iterable[int]
) -> dict[tuple[int, str], int]:
    """Contact id per (account id, lower-case e-mail), within the given accounts."""
    emails = {e.lower() for e in emails if e}
    account_ids = set(account_ids)
    if not emails or not account_ids:
        return {}
    rows = (
        Contact.objects.annotate(email_lower=Lower("email"))
        .filter(account_id__in=account_ids, email_lower__in=emails)
        .values_list("account_id", "email_lower", "id")
    )
    return {(account_id, email): contact_id for account_id, email, contact_id in rows}
