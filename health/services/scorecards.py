"""Scorecard versions: created with a validated definition, then immutable in what they
score (key, version, definition) because snapshots cite them; a new rule set is a new
version. Only the name and whether the version is the active one may change."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.services import audit_record
from cs_platform.core.actors import Actor
from cs_platform.core.errors import InvalidInput
from cs_platform.core.records import RecordSpec, WriteServices
from cs_platform.core.services import model_create
from health.models import Scorecard
from health.scoring.validation import validate_scorecard

SCORECARD_UPDATABLE = ("name", "is_active")
SCORECARD_CREATE_FIELDS = ("key", "version", "name", "is_active", "definition")
SCORECARD_RECORD = RecordSpec(Scorecard, "scorecard", updatable=SCORECARD_UPDATABLE)


def scorecard_create(
    *,
    actor: Actor | None,
    key: str,
    version: int,
    name: str,
    definition: Any,
    is_active: bool = False,
) -> Scorecard:
    """A new scorecard version; the definition must pass the scoring library's checks."""
    issues = validate_scorecard(definition)
    if issues:
        errors = [
            {"field": f"definition.{i.path}" if i.path else "definition", "message": i.message}
            for i in issues[:20]
        ]
        raise InvalidInput("invalid scorecard definition", details={"errors": errors})
    fields = {"key": key, "version": version, "name": name, "definition": definition}
    with transaction.atomic():
        scorecard = model_create(
            Scorecard,
            {**fields, "is_active": bool(is_active), "created_by": actor.user if actor else None},
        )
        audit_record(
            actor,
            "scorecard.create",
            scorecard,
            changes={"key": key, "version": version, "is_active": is_active},
        )
    return scorecard


SCORECARD_WRITES = WriteServices(
    create=lambda *, actor, fields: scorecard_create(
        actor=actor, **{k: fields.get(k) for k in SCORECARD_CREATE_FIELDS}
    ),
    update=SCORECARD_RECORD.writes().update,
    delete=SCORECARD_RECORD.writes().delete,
    create_fields=SCORECARD_CREATE_FIELDS,
    update_fields=SCORECARD_UPDATABLE,
)
