"""Monitors: set-based scans over all active accounts whose findings become CTAs.

One module per monitor (churn_risk, usage_drop, nps_csat, retention, upsell,
support_sla, onboarding), each declaring a `SPEC` (key, CTA reason, thresholds with
defaults, scan); `runner` holds the registry, the config rows and the run bookkeeping.
"""

from health.services.monitors.runner import (
    MONITORS,
    monitor_config_update,
    monitor_configs_ensure,
    monitor_run,
    monitor_run_request,
    monitor_spec_get,
    monitors_due,
    monitors_run_due,
)

__all__ = [
    "MONITORS",
    "monitor_config_update",
    "monitor_configs_ensure",
    "monitor_run",
    "monitor_run_request",
    "monitor_spec_get",
    "monitors_due",
    "monitors_run_due",
]
