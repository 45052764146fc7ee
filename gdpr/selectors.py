"""Reads of the gdpr app."""

from __future__ import annotations

from cs_platform.core.errors import NotFound
from gdpr.models import DataSubjectRequest


def data_subject_request_get(request_id: int) -> DataSubjectRequest:
    request = DataSubjectRequest.objects.filter(pk=request_id).first()
    if request is None:
        raise NotFound(f"no data-subject request {request_id}", details={"field": "request_id"})
    return request
