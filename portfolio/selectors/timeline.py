"""The account timeline: activities, tickets, surveys, health and stage changes, e-mails
and CTAs merged newest-first, keyset-paginated across all sources.

Each source is one query of at most `limit + 1` rows, so a page costs the same number of
queries however long the history is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from customers.models import CTA, Activity, LifecycleStageChange
from health.models import HealthScore, SurveyResponse
from integrations.models import EmailMessage, SupportTicket


@dataclass(frozen=True)
class TimelineItem:
    occurred_at: datetime
    kind: str
    rank: int
    object_type: str
    object_id: int
    title: str
    details: dict[str, Any]

    @property
    def sort_key(self) -> tuple[datetime, int, int]:
        return (self.occurred_at, self.rank, self.object_id)


@dataclass(frozen=True)
class _Source:
    kind: str
    date_field: str
    queryset: Callable[[int], QuerySet]
    shape: Callable[[Any], tuple[str, dict[str, Any]]]
    object_type: str


def _health_changes(account_id: int) -> QuerySet:
    # The previous snapshot is looked up per row (a correlated subquery on the
    # (account, -as_of) index) rather than with LAG(), so date and cursor filters on the
    # outer query cannot change what counts as "previous".
    previous = HealthScore.objects.filter(
        account_id=OuterRef("account_id"), as_of__lt=OuterRef("as_of")
    ).order_by("-as_of")
    return (
        HealthScore.objects.filter(account_id=account_id)
        .annotate(
            prev_band=Subquery(previous.values("band")[:1]),
            prev_score=Subquery(previous.values("score")[:1]),
        )
        .filter(Q(prev_band__isnull=True) | ~Q(prev_band=F("band")))
    )


SOURCES: tuple[_Source, ...] = (
    _Source(
        "activity",
        "occurred_at",
        lambda a: Activity.objects.filter(account_id=a),
        lambda o: (o.subject, {"activity_kind": o.kind, "body": o.body[:500]}),
        "customers.activity",
    ),
    _Source(
        "ticket_opened",
        "opened_at",
        lambda a: SupportTicket.objects.filter(account_id=a),
        lambda o: (
            f"Ticket opened: {o.subject}",
            {"priority": o.priority, "status": o.status, "external_id": o.external_id},
        ),
        "integrations.supportticket",
    ),
    _Source(
        "ticket_resolved",
        "resolved_at",
        lambda a: SupportTicket.objects.filter(account_id=a, resolved_at__isnull=False),
        lambda o: (
            f"Ticket resolved: {o.subject}",
            {"priority": o.priority, "sla_breached": o.sla_breached},
        ),
        "integrations.supportticket",
    ),
    _Source(
        "survey_response",
        "responded_at",
        lambda a: SurveyResponse.objects.filter(account_id=a),
        lambda o: (
            f"{o.kind.upper()} answer {o.score}",
            {"survey_kind": o.kind, "score": o.score, "comment": o.comment[:500]},
        ),
        "health.surveyresponse",
    ),
    _Source(
        "health_change",
        "as_of",
        _health_changes,
        lambda o: (
            f"Health {o.prev_band or 'new'} → {o.band}",
            {
                "score": float(o.score) if o.score is not None else None,
                "previous_score": float(o.prev_score) if o.prev_score is not None else None,
                "band": o.band,
                "previous_band": o.prev_band,
            },
        ),
        "health.healthscore",
    ),
    _Source(
        "stage_change",
        "changed_at",
        lambda a: LifecycleStageChange.objects.filter(account_id=a),
        lambda o: (
            f"Stage {o.from_stage or 'new'} → {o.to_stage}",
            {"from": o.from_stage, "to": o.to_stage, "reason": o.reason},
        ),
        "customers.lifecyclestagechange",
    ),
    _Source(
        "email",
        "created_at",
        lambda a: EmailMessage.objects.filter(account_id=a),
        lambda o: (f"E-mail: {o.subject}", {"to": o.to_email, "status": o.status}),
        "integrations.emailmessage",
    ),
    _Source(
        "cta",
        "created_at",
        lambda a: CTA.objects.filter(account_id=a),
        lambda o: (
            f"CTA: {o.title}",
            {"reason": o.reason, "priority": o.priority, "status": o.status},
        ),
        "customers.cta",
    ),
)
TIMELINE_KINDS = tuple(s.kind for s in SOURCES)


def _after_cursor(field: str, rank: int, cursor: tuple[datetime, int, int] | None) -> Q:
    if cursor is None:
        return Q()
    ts, c_rank, c_id = cursor
    older = Q(**{f"{field}__lt": ts})
    if rank < c_rank:
        return older | Q(**{field: ts})
    if rank == c_rank:
        return older | Q(**{field: ts, "pk__lt": c_id})
    return older


def account_timeline(
    account_id: int,
    *,
    kinds: Iterable[str] | None,
    since: datetime | None,
    until: datetime | None,
    cursor: tuple[datetime, int, int] | None,
    limit: int,
) -> tuple[list[TimelineItem], bool]:
    wanted = set(kinds) if kinds else set(TIMELINE_KINDS)
    items: list[TimelineItem] = []
    for rank, source in enumerate(SOURCES):
        if source.kind not in wanted:
            continue
        qs = source.queryset(account_id).filter(**{f"{source.date_field}__isnull": False})
        if since is not None:
            qs = qs.filter(**{f"{source.date_field}__gte": since})
        if until is not None:
            qs = qs.filter(**{f"{source.date_field}__lte": until})
        qs = qs.filter(_after_cursor(source.date_field, rank, cursor))
        for obj in qs.order_by(f"-{source.date_field}", "-pk")[: limit + 1]:
            title, details = source.shape(obj)
            items.append(
                TimelineItem(
                    occurred_at=getattr(obj, source.date_field),
                    kind=source.kind,
                    rank=rank,
                    object_type=source.object_type,
                    object_id=obj.pk,
                    title=title,
                    details=details,
                )
            )
    items.sort(key=lambda i: i.sort_key, reverse=True)
    return items[:limit], len(items) > limit
