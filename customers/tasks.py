"""Celery tasks of the customers app. Thin: call one service."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from cs_platform.core import clock
from customers.services.onboarding import onboarding_automation_run


@shared_task(name="customers.onboarding_automation_run", acks_late=True)
def onboarding_automation_run_task() -> dict[str, Any]:
    """Send due reminders and escalations of every plan with automation on (each at most
    once per milestone and window, so running it again sends nothing new)."""
    result = onboarding_automation_run(now=clock.now())
    return {
        "plans": result.plans,
        "reminders": len(result.reminders_created),
        "escalations": len(result.escalations),
        "already_sent": result.already_sent,
    }
