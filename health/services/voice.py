"""Writes behind the survey-response and feedback endpoints: validate, write in a
transaction with the audit event, report conflicts as `conflict`.

Free text (comments, feedback text) is audited by field name only: the audit chain is
immutable and must not keep personal data that GDPR erasure has to remove.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, field_error
from cs_platform.core.records import (
    RecordSpec,
    WriteServices,
    account_in_scope,
    as_row,
    record_delete,
)
from cs_platform.core.services import fields_check, model_update
from customers.models import Contact
from health.models import Feedback, Survey, SurveyResponse
from health.services.sentiment import text_sentiment

SCORE_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
FREE_TEXT = frozenset({"comment", "text"})
RESPONSE_UPDATABLE = ("score", "comment", "contact_id")
FEEDBACK_UPDATABLE = (
    "kind", "status", "product_area", "text", "sentiment", "contact_id", "tags",
)  # fmt: skip
FEEDBACK_CREATE_FIELDS = (
    "account_id",
    "contact_id",
    "kind",
    "text",
    "product_area",
    "source",
    "external_id",
    "sentiment",
    "created_at",
    "tags",
)
FEEDBACK_RECORD = RecordSpec(Feedback, "feedback", account="account", personal=FREE_TEXT)


def _conflict(field: str, message: str) -> Conflict:
    return Conflict(
        f"{field}: {message}",
        details={"errors": [{"field": field, "message": message, "type": "conflict"}]},
    )


def _check_contact(contact_id: int | None, account_id: int) -> None:
    if contact_id is not None and not (
        Contact.objects.filter(pk=contact_id, account_id=account_id).exists()
    ):
        raise field_error("contact", "no contact with this id on this account", code="not_found")


def _check_score(kind: str, score: int) -> None:
    low, high = SCORE_SCALES[kind]
    if not low <= score <= high:
        raise field_error("score", f"a {kind} answer is from {low} to {high}", code="range")


def _check_not_future(field: str, value: datetime, now: datetime) -> None:
    if value > now:
        raise field_error(field, "must not be in the future", code="range")


def _write(actor: Actor, action: str, obj: Model, changes: dict[str, Any], save: Any) -> Any:
    """Run `save` and record its event (free text by field name only) in one transaction."""
    try:
        with transaction.atomic():
            result = save()
            if result == {}:
                return result  # an update that changed nothing records nothing
            done = changes if result is None else {k: v["after"] for k, v in result.items()}
            audit_record(
                actor,
                action,
                obj,
                changes={k: ("<changed>" if k in FREE_TEXT else v) for k, v in done.items()},
            )
            return result
    except IntegrityError as exc:  # a concurrent write won a unique constraint
        raise _conflict("external_id", "already used by another record") from exc


def survey_response_create(
    *,
    actor: Actor,
    account_id: int,
    survey_id: int,
    score: int,
    responded_at: datetime,
    contact_id: int | None = None,
    comment: str = "",
    source: str = "api",
    external_id: str | None = None,
) -> SurveyResponse:
    """Record one survey answer; `score` is the raw answer on the survey's own scale."""
    account = account_in_scope(actor, account_id)
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise field_error("survey", "no survey with this id", code="not_found")
    _check_score(survey.kind, score)
    _check_not_future("responded_at", responded_at, clock.now())
    _check_contact(contact_id, account.pk)
    if (
        external_id
        and SurveyResponse.objects.filter(source=source, external_id=external_id).exists()
    ):
        raise _conflict("external_id", "a response with this source and id already exists")
    response = SurveyResponse(
        survey=survey,
        kind=survey.kind,
        account=account,
        contact_id=contact_id,
        score=score,
        comment=comment,
        responded_at=responded_at,
        source=source,
        external_id=external_id,
    )
    changes = {"survey_id": survey.pk, "kind": survey.kind, "score": score, "source": source}
    _write(actor, "survey_response.create", response, changes, response.save)
    return response


def survey_response_update(
    *, actor: Actor, response: SurveyResponse, changes: dict[str, Any]
) -> list[str]:
    """Correct an answer (score, comment, contact); returns the fields that changed."""
    fields_check(changes, RESPONSE_UPDATABLE)
    if "score" in changes:
        _check_score(response.kind, changes["score"])
    if "contact_id" in changes and changes["contact_id"] != response.contact_id:
        _check_contact(changes["contact_id"], response.account_id)
    diff = _write(
        actor, "survey_response.update", response, {}, lambda: model_update(response, changes)
    )
    return sorted(diff)


def tags_clean(tags: list[str] | None) -> list[str]:
    """Tags as stored: lower-case, trimmed, distinct, sorted."""
    cleaned = sorted({str(t).strip().lower() for t in tags or [] if str(t).strip()})
    if any(len(t) > 60 for t in cleaned):
        raise field_error("tags", "each tag is at most 60 characters")
    return cleaned


def feedback_create(
    *,
    actor: Actor,
    account_id: int,
    kind: str,
    text: str,
    contact_id: int | None = None,
    product_area: str = "",
    source: str = "api",
    external_id: str | None = None,
    sentiment: float | None = None,
    created_at: datetime | None = None,
    tags: list[str] | None = None,
) -> Feedback:
    """Record one piece of customer feedback (status `new`); without a given sentiment,
    VADER scores the text."""
    account = account_in_scope(actor, account_id)
    now = clock.now()
    created_at = created_at or now
    _check_not_future("created_at", created_at, now)
    _check_contact(contact_id, account.pk)
    if external_id and Feedback.objects.filter(external_id=external_id).exists():
        raise _conflict("external_id", "feedback with this external id already exists")
    feedback = Feedback(
        account=account,
        contact_id=contact_id,
        kind=kind,
        text=text,
        product_area=product_area,
        source=source,
        external_id=external_id,
        sentiment=text_sentiment(text) if sentiment is None else sentiment,
        tags=tags_clean(tags),
        created_at=created_at,
    )
    changes = {"kind": kind, "source": source, "product_area": product_area, "text": text}
    if feedback.tags:
        changes["tags"] = feedback.tags
    _write(actor, "feedback.create", feedback, changes, feedback.save)
    return feedback


def feedback_update(*, actor: Actor, feedback: Feedback, changes: dict[str, Any]) -> list[str]:
    """Triage or correct feedback (kind, status, area, text, sentiment, contact, tags). New
    text without a given sentiment is scored again."""
    fields_check(changes, FEEDBACK_UPDATABLE)
    if "tags" in changes:
        changes = {**changes, "tags": tags_clean(changes["tags"])}
    if changes.get("text") not in (None, feedback.text) and "sentiment" not in changes:
        changes = {**changes, "sentiment": text_sentiment(changes["text"])}
    if "contact_id" in changes and changes["contact_id"] != feedback.contact_id:
        _check_contact(changes["contact_id"], feedback.account_id)
    diff = _write(actor, "feedback.update", feedback, {}, lambda: model_update(feedback, changes))
    return sorted(diff)


def feedback_delete(*, actor: Actor, feedback: Feedback) -> None:
    record_delete(FEEDBACK_RECORD, actor=actor, instance=feedback)


FEEDBACK_WRITES = WriteServices(
    create=lambda *, actor, fields: feedback_create(
        actor=actor,
        **{k: fields[k] for k in FEEDBACK_CREATE_FIELDS if fields.get(k) is not None},
    ),
    update=as_row("feedback", feedback_update),
    delete=as_row("feedback", feedback_delete),
    create_fields=FEEDBACK_CREATE_FIELDS,
    update_fields=FEEDBACK_UPDATABLE,
)
