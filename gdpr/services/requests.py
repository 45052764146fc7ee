"""Data-subject requests: received with their statutory due date, completed by the export
or erasure that answers them (the result records counts, never personal values)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, field_error
from gdpr.models import DataSubjectRequest, RequestKind, RequestStatus

# GDPR Art. 12(3): "without undue delay and in any event within one month".
RESPONSE_DAYS = 30


def request_receive(
    *, actor: Actor | None, kind: str, email: str, requested_at: datetime | None = None
) -> DataSubjectRequest:
    """Record a request as received; it is due `RESPONSE_DAYS` after it arrived."""
    if kind not in RequestKind.values:
        raise field_error("kind", f"one of {', '.join(RequestKind.values)}")
    email = (email or "").strip().lower()
    if "@" not in email:
        raise field_error("email", "an e-mail address")
    requested_at = requested_at or clock.now()
    with transaction.atomic():
        dsr = DataSubjectRequest.objects.create(
            kind=kind,
            subject_email=email,
            requested_at=requested_at,
            due_at=requested_at + timedelta(days=RESPONSE_DAYS),
        )
        audit_record(
            actor,
            "data_subject_request.receive",
            dsr,
            changes={"kind": kind, "due_at": dsr.due_at},
            system="gdpr",
        )
    return dsr


def requests_open_for(
    *, kind: str, email: str, request: DataSubjectRequest | None = None
) -> list[DataSubjectRequest]:
    """The open requests an answer for `email` completes: `request` when given (it must
    be open and of this kind), else every open request of this kind for the address."""
    if request is not None:
        if request.kind != kind:
            raise field_error("request", f"request {request.pk} is a {request.kind} request")
        if request.status != RequestStatus.RECEIVED:
            raise Conflict(f"request {request.pk} is already {request.status}")
        return [request]
    if not email:
        return []
    return list(
        DataSubjectRequest.objects.select_for_update()
        .filter(kind=kind, status=RequestStatus.RECEIVED, subject_email__iexact=email)
        .order_by("pk")
    )


def requests_complete(
    actor: Actor | None, requests: list[DataSubjectRequest], *, result: dict[str, Any]
) -> list[int]:
    """Mark `requests` completed with `result` (counts); one audit event each."""
    now = clock.now()
    for dsr in requests:
        DataSubjectRequest.objects.filter(pk=dsr.pk).update(
            status=RequestStatus.COMPLETED,
            completed_at=now,
            handled_by=actor.user if actor is not None else None,
            result=result,
        )
        audit_record(
            actor,
            "data_subject_request.complete",
            object_type=DataSubjectRequest._meta.label_lower,
            changes={"request_id": dsr.pk, "kind": dsr.kind},
            system="gdpr",
        )
    return [dsr.pk for dsr in requests]
