"""Celery tasks of the audit app."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from audit.services import audit_chain_check_record


@shared_task(name="audit.verify_chain", acks_late=True)
def verify_chain() -> dict[str, Any]:
    """Beat entry: verify the whole chain, store the outcome (``cs_audit_chain_ok``) and,
    when it holds, sign its head (the daily checkpoint)."""
    check = audit_chain_check_record(checkpoint=True)
    return {"ok": check.ok, "events_checked": check.events_checked, "reason": check.reason}
