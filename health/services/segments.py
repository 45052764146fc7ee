"""Segments: stored rule sets and their membership history.

Evaluation is set-based: one query selects the accounts the rules match, one UPDATE
stamps `exited_at` on members that no longer match, and new members are inserted in
batches. A stay is a row; leaving and re-entering makes a second row, so "who was in this
segment on a date" stays answerable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from audit.services import audit_record
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, InvalidInput, field_error
from cs_platform.core.records import RecordSpec, WriteServices, as_row, record_delete
from cs_platform.core.services import model_update
from customers.models import Account
from health.models import Segment, SegmentMembership
from health.selectors.segment_rules import segment_accounts_matching, segment_rules_validate

_BATCH = 1000
SEGMENT_UPDATABLE = ("name", "description", "rules", "is_active")
SEGMENT_RECORD = RecordSpec(Segment, "segment")


@dataclass(frozen=True)
class SegmentEvaluation:
    segment_id: int
    entered: int
    exited: int
    current: int
    entered_ids: list[int]
    exited_ids: list[int]


def segment_create(
    *,
    key: str | None,
    name: str,
    description: str,
    rules: dict[str, Any],
    actor: Actor | None,
    is_active: bool = True,
) -> Segment:
    rules = segment_rules_validate(rules, path="")
    key = slugify(key or name)[:60]
    if not key:
        raise field_error("segment_key", "needs letters or digits", code="invalid")
    if Segment.objects.filter(key=key).exists():
        raise Conflict(
            f"a segment with key {key!r} already exists",
            details={"errors": [{"field": "segment_key", "message": "taken", "type": "unique"}]},
        )
    try:
        with transaction.atomic():
            segment = Segment.objects.create(
                key=key, name=name, description=description, rules=rules, is_active=is_active
            )
            audit_record(
                actor,
                "segment.created",
                segment,
                changes={"key": key, "rules": rules},
                system="segments",
            )
    except IntegrityError as exc:  # a concurrent create with the same key
        raise Conflict(f"a segment with key {key!r} already exists") from exc
    return segment


def segment_update(
    *, segment: Segment, changes: dict[str, Any], actor: Actor | None
) -> dict[str, dict[str, Any]]:
    """Apply name/description/rules/is_active changes; returns each field's before/after."""
    changes = dict(changes)
    if "rules" in changes:
        changes["rules"] = segment_rules_validate(changes["rules"], path="")
    with transaction.atomic():
        diff = model_update(segment, changes, allowed=SEGMENT_UPDATABLE)
        if diff:
            audit_record(
                actor, "segment.updated", segment, changes={"diff": diff}, system="segments"
            )
    return diff


def segment_delete(*, actor: Actor | None, segment: Segment) -> None:
    """Delete a segment and its membership history."""
    record_delete(SEGMENT_RECORD, actor=actor, instance=segment)


def segment_evaluate(*, segment: Segment, now: datetime, actor: Actor | None) -> SegmentEvaluation:
    """Recompute membership from the stored rules and record entries and exits."""
    matching = segment_accounts_matching(segment.rules, today=now.date()).values("pk")
    if not segment.is_active:
        matching = Account.objects.none().values("pk")  # an inactive segment has no members
    with transaction.atomic():
        # Serialise evaluations of one segment: two at once would insert the same entries.
        Segment.objects.select_for_update().filter(pk=segment.pk).first()
        current = SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True)
        leaving = list(
            current.exclude(account_id__in=matching).values_list("account_id", flat=True)
        )
        if leaving:
            SegmentMembership.objects.filter(
                segment=segment, exited_at__isnull=True, account_id__in=leaving
            ).update(exited_at=now)
        entering = list(
            Account.objects.filter(pk__in=matching)
            .exclude(pk__in=current.values("account_id"))
            .values_list("pk", flat=True)
            .order_by("pk")
        )
        SegmentMembership.objects.bulk_create(
            [SegmentMembership(segment=segment, account_id=a, entered_at=now) for a in entering],
            batch_size=_BATCH,
        )
        segment.evaluated_at = now
        segment.save(update_fields=["evaluated_at"])
        members = SegmentMembership.objects.filter(segment=segment, exited_at__isnull=True).count()
        result = SegmentEvaluation(
            segment_id=segment.pk,
            entered=len(entering),
            exited=len(leaving),
            current=members,
            entered_ids=entering,
            exited_ids=sorted(leaving),
        )
        audit_record(
            actor,
            "segment.evaluated",
            segment,
            changes={"entered": result.entered, "exited": result.exited, "current": result.current},
            system="segments",
        )
    return result


def segments_evaluate_all(*, now: datetime) -> dict[str, Any]:
    """Re-evaluate every segment (inactive ones close their memberships). A segment whose
    stored rules no longer validate is reported, not allowed to stop the others."""
    done, failed = {}, {}
    for segment in Segment.objects.order_by("key"):
        try:
            r = segment_evaluate(segment=segment, now=now, actor=None)
        except InvalidInput as exc:
            failed[segment.key] = exc.details.get("errors", exc.message)
            continue
        done[segment.key] = {"entered": r.entered, "exited": r.exited, "current": r.current}
    return {"evaluated": done, "failed": failed}


SEGMENT_WRITES = WriteServices(
    create=lambda *, actor, fields: segment_create(
        key=fields.get("key"),
        name=fields.get("name") or "",
        description=fields.get("description") or "",
        rules=fields.get("rules"),
        is_active=fields.get("is_active", True),
        actor=actor,
    ),
    update=as_row("segment", segment_update),
    delete=as_row("segment", segment_delete),
    create_fields=("key", *SEGMENT_UPDATABLE),
    update_fields=SEGMENT_UPDATABLE,
)
