"""The one place that holds the Celery beat schedule.

Monitors read their thresholds and enabled flag from the database at run time, so the
schedule here only sets the cadence at which each one is considered.
"""

from __future__ import annotations

from celery.schedules import crontab


def beat_schedule() -> dict[str, dict]:
    return {
        "health-recompute-portfolio": {
            "task": "health.recompute_portfolio",
            "schedule": crontab(minute=15, hour="*/6"),
        },
        "monitors-run-due": {
            "task": "health.monitors_run_due",
            "schedule": crontab(minute="*/10"),
        },
        "retention-campaigns-evaluate": {
            "task": "health.retention_campaigns_evaluate",
            "schedule": crontab(minute=30),
        },
        "communication-rules-evaluate": {
            "task": "health.communication_rules_evaluate",
            "schedule": crontab(minute=50),
        },
        "onboarding-automation": {
            "task": "customers.onboarding_automation_run",
            "schedule": crontab(minute=20),
        },
        "segments-evaluate": {
            "task": "health.segments_evaluate",
            "schedule": crontab(minute=45, hour=2),
        },
        # The outcome is stored and exported as cs_audit_chain_ok (alert: AuditChainBroken).
        # Overdue data-subject requests become CTAs for the DPO (gdpr.services.requests).
        "gdpr-requests-overdue": {
            "task": "gdpr.requests_overdue",
            "schedule": crontab(minute=15, hour=7),
        },
        # Retention, dry run first: plans a report, applies it after the grace period
        # (gdpr.services.retention; `gdpr_retention` shows the pending report).
        "gdpr-retention-apply": {
            "task": "gdpr.retention_apply",
            "schedule": crontab(minute=30, hour=2),
        },
        "audit-verify-chain": {
            "task": "audit.verify_chain",
            "schedule": crontab(minute=40, hour=3),
        },
        "integrations-sync-due": {
            "task": "integrations.sync_due_connections",
            "schedule": crontab(minute="*/5"),
        },
        "integrations-outbox-redrive": {
            "task": "integrations.outbox_redrive",
            "schedule": crontab(minute="*"),
        },
    }
