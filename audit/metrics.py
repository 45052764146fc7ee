"""Scrape-time state of the audit trail: the newest chain verification.

``cs_audit_chain_ok`` (1 passed, 0 broken; absent until the first check),
``cs_audit_chain_events_checked`` and ``cs_audit_chain_last_check_timestamp_seconds``.
Stored rows rather than a process gauge: a broken chain must stay visible after the
worker that found it restarts.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric


def collect_chain_check() -> Iterable[Metric]:
    from audit.models import AuditChainCheck

    check = AuditChainCheck.objects.order_by("-checked_at").first()
    if check is None:
        return []
    ok = GaugeMetricFamily("cs_audit_chain_ok", "1 when the newest chain verification passed")
    ok.add_metric([], 1.0 if check.ok else 0.0)
    checked = GaugeMetricFamily(
        "cs_audit_chain_events_checked", "Events the newest chain verification checked"
    )
    checked.add_metric([], float(check.events_checked))
    when = GaugeMetricFamily(
        "cs_audit_chain_last_check_timestamp_seconds", "When the chain was last verified"
    )
    when.add_metric([], check.checked_at.timestamp())
    return [ok, checked, when]
