"""Who a GDPR export or erasure is about, and which rows of each registered model are
theirs (`cs_platform.core.personal_data` says where to look).

A row is the subject's when it links to one of their contacts (the model's `subject`
path) or stores their address (`email_fields`): such rows are exported whole and erased
by every field's rule. A row that only mentions them (their address, full name or phone
in a free-text field: a ticket another contact opened, a webhook payload, an account
note) is exported with the fields that mention them, and those are redacted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Model, Q, QuerySet

from cs_platform.core.errors import field_error
from cs_platform.core.personal_data import PersonalModel, Rule
from customers.models import Contact

MARK = "[redacted]"


@dataclass(frozen=True)
class Subject:
    email: str  # lower case; "" when only a contact id was given and it has none
    contact_ids: tuple[int, ...]
    full_names: tuple[str, ...]
    name_parts: tuple[str, ...]
    phones: tuple[str, ...]

    @property
    def search_terms(self) -> tuple[str, ...]:
        """What free text is searched for: specific enough to name this person."""
        return tuple(t for t in (self.email, *self.full_names, *self.phones) if t)

    @property
    def redact_terms(self) -> tuple[str, ...]:
        """What is replaced in a row that is theirs or mentions them: the search terms and
        each part of their name, longest first (a full name before its parts)."""
        terms = {*self.search_terms, *self.name_parts}
        return tuple(sorted(terms, key=lambda t: (-len(t), t)))

    def pattern(self) -> re.Pattern[str] | None:
        terms = self.redact_terms
        if not terms:
            return None
        # Word boundaries keep "Ann" from eating "Annual"; an address or phone is literal.
        alternatives = [
            rf"(?<!\w){re.escape(t)}(?!\w)" if t in self.name_parts else re.escape(t) for t in terms
        ]
        return re.compile("|".join(alternatives), re.IGNORECASE)


def subject_resolve(*, email: str | None = None, contact_id: int | None = None) -> Subject:
    """The subject of a request: the contacts with this address (any account) and the
    contact `contact_id`. An address nobody has is still a subject (text may name it)."""
    email = (email or "").strip().lower()
    if not email and contact_id is None:
        raise field_error("email", "give the subject's e-mail address or a contact id")
    query = Q(pk__in=[])
    if email:
        query |= Q(email__iexact=email)
    if contact_id is not None:
        query |= Q(pk=contact_id)
    contacts = list(Contact.objects.filter(query).order_by("pk"))
    if contact_id is not None and contact_id not in {c.pk for c in contacts}:
        raise field_error("contact_id", f"no contact with id {contact_id}", code="not_found")
    if not email:
        email = next((c.email for c in contacts if c.erased_at is None), "")
    live = [c for c in contacts if c.erased_at is None]
    full_names = {f"{c.first_name} {c.last_name}".strip() for c in live}
    parts = {p.strip() for c in live for p in (c.first_name, c.last_name)}
    return Subject(
        email=email,
        contact_ids=tuple(c.pk for c in contacts),
        full_names=tuple(sorted(n for n in full_names if " " in n)),
        name_parts=tuple(sorted(p for p in parts if len(p) >= 2)),
        phones=tuple(sorted({c.phone.strip() for c in live if len(c.phone.strip()) >= 6})),
    )


def _linked_query(entry: PersonalModel, subject: Subject) -> Q | None:
    parts = []
    if entry.subject is not None and subject.contact_ids:
        path = f"{entry.subject}__in" if entry.subject else "pk__in"
        parts.append(Q(**{path: subject.contact_ids}))
    if subject.email:
        parts.extend(Q(**{f"{name}__iexact": subject.email}) for name in entry.email_fields)
    if subject.contact_ids:
        labels = [f"contact:{pk}" for pk in subject.contact_ids]
        parts.extend(Q(**{f"{name}__in": labels}) for name in entry.contact_label_fields)
    return reduce(or_, parts) if parts else None


def _mention_query(entry: PersonalModel, subject: Subject) -> Q | None:
    parts = [
        Q(**{f"{name}__icontains": term})
        for name in entry.fields_with(Rule.REDACT)
        for term in subject.search_terms
    ]
    return reduce(or_, parts) if parts else None


def subject_rows(entry: PersonalModel, subject: Subject) -> tuple[QuerySet, set[Any]]:
    """The rows of `entry`'s model that are about the subject, and the ids of those that
    are theirs (linked); the others only mention them."""
    model = entry.model_class
    linked, mention = _linked_query(entry, subject), _mention_query(entry, subject)
    wanted = [q for q in (linked, mention) if q is not None]
    if not wanted:
        return model.objects.none(), set()
    rows = model.objects.filter(reduce(or_, wanted)).order_by("pk")
    linked_ids = set(model.objects.filter(linked).values_list("pk", flat=True)) if linked else set()
    return rows, linked_ids


def text_redact(value: Any, pattern: re.Pattern[str] | None) -> Any:
    """`value` (text or JSON) with every mention of the subject replaced by the marker."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(MARK, value)
    if isinstance(value, dict):
        return {k: text_redact(v, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [text_redact(v, pattern) for v in value]
    return value


def row_values(obj: Model, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A row as exported: its id and concrete fields (keyed as stored), or only `names`."""
    values: dict[str, Any] = {"id": obj.pk}
    for f in obj._meta.concrete_fields:
        if names is not None and f.name not in names:
            continue
        values[f.attname] = f.value_from_object(obj)
    return values
