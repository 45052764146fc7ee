"""The block list of people erased under GDPR (`customers.ErasedIdentity`).

Erasure records a keyed HMAC of each identifier the person had (e-mail address, external
id, Intercom contact id, Zendesk user id); every path that creates contacts from outside
asks `erased_identities_blocked` / `erased_identity_refuse` before it writes, so a sync,
an import or a registration does not bring the person back. No plaintext is stored: the
key lives outside the database (`settings.GDPR_ERASED_IDENTITY_KEY`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping

from django.conf import settings

from cs_platform.core import clock
from cs_platform.core.errors import Conflict
from customers.models import Contact, ErasedIdentity, ErasedIdentityKind

K = ErasedIdentityKind
ERASED = "belongs to a person erased under GDPR"
# The contact fields that identify a person outside this product.
IDENTITY_FIELDS = (K.EMAIL, K.EXTERNAL_ID, K.INTERCOM, K.ZENDESK)


def _key() -> bytes:
    key = settings.GDPR_ERASED_IDENTITY_KEY
    if key:
        return key.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"gdpr-erased-identity", hashlib.sha256).digest()


def _normalised(kind: str, value: object) -> str:
    text = str(value).strip()
    return text.lower() if kind == K.EMAIL else text


def erased_identity_digest(kind: str, value: object) -> str:
    message = f"{kind}:{_normalised(kind, value)}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def erased_identities_record(identities: Iterable[tuple[str, object]]) -> int:
    """Block (kind, value) pairs; empty values are skipped and a pair already blocked is
    left as is. Runs in the erasure's transaction. Returns how many pairs were given."""
    now = clock.now()
    rows = {
        (kind, erased_identity_digest(kind, value))
        for kind, value in identities
        if value not in (None, "") and _normalised(kind, value)
    }
    ErasedIdentity.objects.bulk_create(
        [ErasedIdentity(kind=kind, digest=digest, erased_at=now) for kind, digest in rows],
        ignore_conflicts=True,
    )
    return len(rows)


def erased_identities_of(contacts: Iterable[Contact]) -> list[tuple[str, object]]:
    """The identifiers of `contacts` as (kind, value) pairs (read before erasure blanks them)."""
    return [(kind, getattr(c, kind)) for c in contacts for kind in IDENTITY_FIELDS]


def erased_identities_blocked(kind: str, values: Iterable[object]) -> set[str]:
    """Those of `values` that belong to an erased person (one query)."""
    digests = {erased_identity_digest(kind, v): v for v in values if v not in (None, "")}
    if not digests:
        return set()
    found = ErasedIdentity.objects.filter(kind=kind, digest__in=list(digests)).values_list(
        "digest", flat=True
    )
    return {str(digests[d]) for d in found}


def erased_rows_refuse(
    rows: Iterable[tuple[object, Mapping[str, object]]],
) -> dict[object, list[str]]:
    """For many candidate rows ({kind: value} each, under a row key): {row key: [fields
    that belong to an erased person]}, in one query per kind."""
    rows = list(rows)
    by_kind: dict[str, set[str]] = {}
    for kind in {k for _, values in rows for k in values}:
        by_kind[kind] = erased_identities_blocked(kind, {v.get(kind) for _, v in rows})
    hits: dict[object, list[str]] = {}
    for key, values in rows:
        fields = sorted(
            k for k, v in values.items() if v not in (None, "") and str(v) in by_kind[k]
        )
        if fields:
            hits[key] = fields
    return hits


def erased_identity_refuse(
    values: Mapping[str, object], *, field_names: Mapping[str, str] | None = None
) -> None:
    """Raise `Conflict` when any of `values` ({kind: value}) belongs to an erased person
    (one query); the message names the field (as the caller calls it: `field_names`),
    never the value."""
    wanted = {
        (kind, erased_identity_digest(kind, value))
        for kind, value in values.items()
        if value not in (None, "")
    }
    if not wanted:
        return
    found = ErasedIdentity.objects.filter(digest__in=[d for _, d in wanted]).values_list(
        "kind", "digest"
    )
    names = field_names or {}
    hit = sorted(names.get(kind, kind) for kind, digest in found if (kind, digest) in wanted)
    if hit:
        raise Conflict(
            f"{hit[0]}: this person was erased under GDPR and is not re-created",
            details={"errors": [{"field": k, "message": ERASED, "type": "erased"} for k in hit]},
        )
