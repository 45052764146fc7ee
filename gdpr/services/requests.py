"""Data-subject requests: received with their statutory due date, completed by the export
or erasure that answers them (the result records counts, never personal values)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from audit.services import audit_record
from cs_platform.core import clock
from cs_platform.core.actors import Actor
from cs_platform.core.errors import Conflict, field_error
from customers.models import Contact, CtaReason
from customers.services.ctas import cta_raise, cta_update
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


def requests_overdue_raise_ctas(*, now: datetime | None = None) -> dict[str, int]:
    """For requests still open past their due date, one CTA per account of the subject's
    contacts (reason `gdpr_request`, refreshed while any stays overdue), owned by the DPO
    (`settings.GDPR_DPO_USERNAME`) when one is named. Requests whose address no contact
    has share one CTA of no account, owned by the DPO (it shows in their "My day"; without
    a DPO it is in the CTA list only). The CTA names the requests by id and kind, never
    the address. `without_account` counts those requests."""
    now = now or clock.now()
    overdue = list(
        DataSubjectRequest.objects.filter(status=RequestStatus.RECEIVED, due_at__lt=now).order_by(
            "due_at", "pk"
        )
    )
    by_account: dict[int | None, list[DataSubjectRequest]] = {}
    without_account = 0
    for dsr in overdue:
        accounts = set(
            Contact.objects.filter(
                email__iexact=dsr.subject_email, erased_at__isnull=True
            ).values_list("account_id", flat=True)
        )
        if not accounts:
            without_account += 1
            by_account.setdefault(None, []).append(dsr)
        for account_id in accounts:
            by_account.setdefault(account_id, []).append(dsr)
    dpo = None
    if settings.GDPR_DPO_USERNAME:
        dpo = get_user_model().objects.filter(username=settings.GDPR_DPO_USERNAME).first()
    accounts = Contact._meta.get_field("account").related_model.objects.in_bulk(
        [a for a in by_account if a is not None]
    )
    for account_id, requests in sorted(by_account.items(), key=lambda item: item[0] or 0):
        raised = cta_raise(
            account=accounts[account_id] if account_id is not None else None,
            reason=CtaReason.GDPR_REQUEST,
            title=f"{len(requests)} GDPR request(s) overdue: answer with gdpr_export/gdpr_erase",
            priority="high",
            source="gdpr",
            details={
                "requests": [
                    {"id": r.pk, "kind": r.kind, "due_at": r.due_at.isoformat()} for r in requests
                ],
                **({"no_contact": True} if account_id is None else {}),
            },
            due_date=now.date(),
        )
        if dpo is not None and raised.cta.owner_id != dpo.pk:
            cta_update(actor=None, cta=raised.cta, changes={"owner_id": dpo.pk})
    return {"overdue": len(overdue), "ctas": len(by_account), "without_account": without_account}
