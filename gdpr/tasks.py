"""Celery tasks of the gdpr app."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from gdpr.services.requests import requests_overdue_raise_ctas
from gdpr.services.retention import retention_cycle


@shared_task(name="gdpr.requests_overdue", acks_late=True)
def requests_overdue() -> dict[str, Any]:
    """Beat entry: a CTA for the DPO on each account with an overdue data-subject request."""
    return requests_overdue_raise_ctas()


@shared_task(name="gdpr.retention_apply", acks_late=True)
def retention_apply_task() -> dict[str, Any]:
    """Beat entry: apply the pending retention report once its grace period is over, then
    plan the next (nothing is deleted that a report did not announce)."""
    return retention_cycle()
