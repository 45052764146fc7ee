"""Scrape-time state of data-subject requests: ``cs_gdpr_requests_open{kind}`` and
``cs_gdpr_requests_overdue{kind}`` (open past their statutory deadline)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from cs_platform.core import clock


def collect_requests() -> Iterable[Metric]:
    from django.db.models import Count, Q

    from gdpr.models import DataSubjectRequest, RequestKind, RequestStatus

    rows = {
        row["kind"]: row
        for row in DataSubjectRequest.objects.filter(status=RequestStatus.RECEIVED)
        .values("kind")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=clock.now())))
    }
    open_ = GaugeMetricFamily(
        "cs_gdpr_requests_open", "Data-subject requests not yet completed", labels=["kind"]
    )
    overdue = GaugeMetricFamily(
        "cs_gdpr_requests_overdue",
        "Data-subject requests still open after their statutory deadline",
        labels=["kind"],
    )
    for kind in RequestKind.values:
        row = rows.get(kind, {})
        open_.add_metric([kind], float(row.get("open", 0)))
        overdue.add_metric([kind], float(row.get("overdue", 0)))
    return [open_, overdue]
