"""Erasure (the right to be forgotten): anonymise a subject everywhere, in one transaction.

For every registered model, the subject's own rows are erased field by field by the
registry's rule (anonymise, blank, redact, keep) or deleted (`RowRule.DELETE`); rows that
only mention them have those mentions redacted. Their contacts are stamped `erased_at`
(never e-mailed or edited again) and lose their external ids, so nothing links the row
back to a provider's record of the person. The audit event counts rows per model and
holds no value. Running it again finds nothing left to change (idempotent); a dry run
reports the same counts and rolls everything back. Cached copies are dropped after commit.

The person's identifiers (address, external and provider ids) go to the block list of
erased identities, as keyed HMACs, so no sync or import re-creates them; the copies that
providers hold are deleted through their API where there is one (queued in the outbox,
sent after commit) and reported as to do by hand where there is none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Model

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.personal_data import PersonalModel, RowRule, Rule, personal_data_registry
from customers.models import Contact
from customers.services.erased import erased_identities_of, erased_identities_record
from gdpr.models import DataSubjectRequest, RequestKind
from gdpr.providers import BY_HAND, ProviderCopy, provider_copies_erase
from gdpr.services.requests import requests_complete, requests_open_for
from gdpr.services.subjects import Subject, subject_resolve, subject_rows, text_redact

ERASED_DOMAIN = "erased.invalid"
# Cache keys that hold a copy of a contact's or an account's data follow this pattern
# (`<anything>:contact:<id>:<anything>`), so erasure can drop them by id.
CACHE_KEY_PATTERNS = ("*:contact:{contact}:*", "*:account:{account}:*")


@dataclass
class ModelChange:
    rows: int = 0  # rows changed
    deleted: int = 0
    fields: dict[str, int] = field(default_factory=dict)  # field → rows where it changed

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "deleted": self.deleted,
            "fields": dict(sorted(self.fields.items())),
        }


@dataclass
class Erasure:
    contact_ids: list[int]
    dry_run: bool
    changes: dict[str, ModelChange]
    identities_blocked: int = 0
    providers: list[ProviderCopy] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(c.rows + c.deleted for c in self.changes.values())

    @property
    def by_hand(self) -> list[ProviderCopy]:
        return [p for p in self.providers if p.status == BY_HAND]

    def as_dict(self, *, with_refs: bool = False) -> dict[str, Any]:
        """The report; `with_refs` adds the providers' ids of what is left to delete by
        hand (for the request and the operator, not for the audit trail)."""
        return {
            "contact_ids": self.contact_ids,
            "dry_run": self.dry_run,
            "models": {label: c.as_dict() for label, c in sorted(self.changes.items())},
            "identities_blocked": self.identities_blocked,
            "providers": [p.as_dict(with_ref=with_refs) for p in self.providers],
        }


def _anonymous(f: models.Field, obj: Model) -> Any:
    if isinstance(f, models.EmailField):
        return f"erased-{obj.pk}@{ERASED_DOMAIN}"
    if isinstance(f, models.JSONField):
        return {}
    return f"erased-{obj.pk}"  # unique per row: the field may be part of a unique constraint


def _blank(f: models.Field, value: Any) -> Any:
    if isinstance(f, models.JSONField):
        return [] if isinstance(value, list) else {}
    return None if f.null else ""


def _erased_values(
    entry: PersonalModel, obj: Model, *, linked: bool, subject: Subject
) -> dict[str, Any]:
    """{attname: new value} for the fields of `obj` that change."""
    pattern = subject.pattern()
    changed: dict[str, Any] = {}
    for name, rule in entry.fields.items():
        f = obj._meta.get_field(name)
        value = getattr(obj, f.attname)
        if rule is Rule.REDACT:
            new = text_redact(value, pattern)
        elif not linked or rule is Rule.KEEP:
            continue
        elif rule is Rule.ANONYMISE:
            new = value if value in (None, "") else _anonymous(f, obj)
        else:
            new = _blank(f, value)
        if new != value:
            changed[f.attname] = new
    return changed


def _erase_model(entry: PersonalModel, subject: Subject) -> ModelChange:
    change = ModelChange()
    rows, linked = subject_rows(entry, subject)
    model = entry.model_class
    to_delete = []
    for obj in rows.select_for_update(of=("self",)):
        if obj.pk in linked and entry.rows is RowRule.DELETE:
            to_delete.append(obj.pk)
            continue
        values = _erased_values(entry, obj, linked=obj.pk in linked, subject=subject)
        if not values:
            continue
        # A plain UPDATE: no save() side effects, no `auto_now` stamp that would date it.
        model.objects.filter(pk=obj.pk).update(**values)
        change.rows += 1
        for name in values:
            change.fields[name] = change.fields.get(name, 0) + 1
    if to_delete:
        change.deleted = len(to_delete)
        model.objects.filter(pk__in=to_delete).delete()
    return change


def _drop_cached_copies(contact_ids: list[int], account_ids: list[int]) -> None:
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is None:  # the local-memory cache (embedded run) has no patterns
        return
    for contact_id in contact_ids:
        delete_pattern(CACHE_KEY_PATTERNS[0].format(contact=contact_id))
    for account_id in account_ids:
        delete_pattern(CACHE_KEY_PATTERNS[1].format(account=account_id))


def subject_erase(
    *,
    actor: Actor | None,
    email: str | None = None,
    contact_id: int | None = None,
    reason: str = "",
    dry_run: bool = False,
    request: DataSubjectRequest | None = None,
) -> Erasure:
    """Erase one subject across every registered model (see the module's docstring)."""
    subject = subject_resolve(email=email, contact_id=contact_id)
    now = clock.now()
    contacts = list(Contact.objects.filter(pk__in=subject.contact_ids))
    account_ids = sorted({c.account_id for c in contacts})
    with transaction.atomic():
        # Found before the erasure anonymises their address.
        open_requests = requests_open_for(
            kind=RequestKind.ERASURE, email=subject.email, request=request
        )
        # Before the erasure blanks their identifiers: the block list that keeps syncs and
        # imports from re-creating the person, and the providers' copies to delete.
        live = [c for c in contacts if c.erased_at is None]
        blocked = erased_identities_record([("email", subject.email), *erased_identities_of(live)])
        providers = provider_copies_erase(live)
        changes: dict[str, ModelChange] = {}
        for label, entry in sorted(personal_data_registry().items()):
            change = _erase_model(entry, subject)
            if change.rows or change.deleted:
                changes[label] = change
        fresh = Contact.objects.filter(pk__in=subject.contact_ids, erased_at__isnull=True)
        stamped = fresh.update(erased_at=now, email_opt_out=True)
        if stamped:
            changes.setdefault("customers.contact", ModelChange()).fields["erased_at"] = stamped
        erasure = Erasure(
            contact_ids=list(subject.contact_ids),
            dry_run=dry_run,
            changes=changes,
            identities_blocked=blocked,
            providers=providers,
        )
        if dry_run:
            transaction.set_rollback(True)
            return erasure
        # The reason is free text: it is kept on the request with the subject redacted.
        result = {
            **erasure.as_dict(with_refs=True),
            "reason": text_redact(reason, subject.pattern()),
        }
        handled = requests_complete(actor, open_requests, result=result)
        audit_record(
            actor,
            "gdpr.erase",
            object_type="customers.contact",
            changes={
                **erasure.as_dict(),
                "reason_given": bool(reason),
                "request_ids": handled,
            },
            system="gdpr",
        )
        transaction.on_commit(lambda: _drop_cached_copies(erasure.contact_ids, account_ids))
    return erasure
