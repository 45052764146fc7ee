"""Reads of the gdpr app."""

from __future__ import annotations

from cs_platform.core.errors import NotFound
from gdpr.models import ConsentRecord, DataSubjectRequest


def data_subject_request_get(request_id: int) -> DataSubjectRequest:
    request = DataSubjectRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise NotFound(f"no data-subject request {request_id}", details={"field": "request_id"})
    return request


def consent_in_force(contact_id: int, purpose: str) -> bool | None:
    """The contact's newest consent answer for `purpose`: True (given), False (withdrawn
    or refused) or None (never asked)."""
    return (
        ConsentRecord.objects.filter(contact_id=contact_id, purpose=purpose)
        .order_by("-recorded_at", "-id")
        .values_list("granted", flat=True)
        .first()
    )
