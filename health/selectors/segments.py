"""Segmentation reads, scoped to the actor's accounts: segments and their membership
history, the lifecycle-stage distribution and history, ARR value tiers."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from cs_platform.core.actors import Actor
from cs_platform.core.errors import NotFound
from customers.models import Account, AccountStatus, LifecycleStage, LifecycleStageChange
from customers.selectors import account_list_for_actor
from health.models import HealthBand, HealthScore, Segment, SegmentMembership
from health.scoring.numbers import round_half_up


def segment_get(key: str) -> Segment:
    segment = Segment.objects.filter(key=key).first()
    if segment is None:
        raise NotFound(
            f"no segment with key {key!r}", details={"field": "segment_key", "segment_key": key}
        )
    return segment


def segment_page_for_actor(
    actor: Actor, *, after_key: str | None, limit: int, include_inactive: bool
) -> tuple[list[Segment], bool]:
    """Segments ordered by key, each with its current member count in the actor's scope."""
    scope = account_list_for_actor(actor).values("pk")
    qs = Segment.objects.annotate(
        members_in_scope=Count(
            "memberships",
            filter=Q(memberships__exited_at__isnull=True, memberships__account_id__in=scope),
        )
    ).order_by("key")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if after_key is not None:
        qs = qs.filter(key__gt=after_key)
    rows = list(qs[: limit + 1])
    return rows[:limit], len(rows) > limit


def segment_member_accounts_for_actor(actor: Actor, segment: Segment) -> QuerySet[Account]:
    """Current members of `segment` the actor may see."""
    return account_list_for_actor(actor).filter(
        segment_memberships__segment=segment, segment_memberships__exited_at__isnull=True
    )


def segment_members_page_for_actor(
    actor: Actor,
    segment: Segment,
    *,
    include_exited: bool,
    after_id: int | None,
    limit: int,
) -> tuple[list[dict[str, Any]], bool]:
    """Membership rows (current only, or the full history) ordered by membership id."""
    qs = SegmentMembership.objects.filter(
        segment=segment, account_id__in=account_list_for_actor(actor).values("pk")
    )
    if not include_exited:
        qs = qs.filter(exited_at__isnull=True)
    if after_id is not None:
        qs = qs.filter(pk__gt=after_id)
    rows = list(
        qs.order_by("pk").values(
            "pk", "account_id", "account__name", "account__tier", "entered_at", "exited_at"
        )[: limit + 1]
    )
    return rows[:limit], len(rows) > limit


def segment_current_count_for_actor(actor: Actor, segment: Segment) -> int:
    return segment_member_accounts_for_actor(actor, segment).count()


# --- lifecycle stages ------------------------------------------------------------------
def lifecycle_distribution_for_actor(actor: Actor, *, now: datetime) -> list[dict[str, Any]]:
    """Accounts, ARR and mean time in stage per lifecycle stage, over the actor's book.

    Time in stage is measured from the account's latest stage change into its current
    stage; accounts without such a change are left out of the mean (not counted as 0).
    """
    entered = (
        LifecycleStageChange.objects.filter(
            account_id=OuterRef("pk"), to_stage=OuterRef("lifecycle_stage")
        )
        .order_by("-changed_at", "-id")
        .values("changed_at")[:1]
    )
    rows = (
        account_list_for_actor(actor)
        .annotate(entered_at=Subquery(entered))
        .annotate(
            in_stage=ExpressionWrapper(Value(now) - F("entered_at"), output_field=DurationField())
        )
        .order_by()
        .values("lifecycle_stage")
        .annotate(
            accounts=Count("id"), arr_total=Sum("arr_reporting"), avg_in_stage=Avg("in_stage")
        )
    )
    by_stage = {r["lifecycle_stage"]: r for r in rows}
    since = now - timedelta(days=30)
    recent = dict(
        LifecycleStageChange.objects.filter(
            account_id__in=account_list_for_actor(actor).values("pk"), changed_at__gte=since
        )
        .order_by()
        .values("to_stage")
        .annotate(n=Count("id"))
        .values_list("to_stage", "n")
    )
    out = []
    for stage in LifecycleStage.values:
        r = by_stage.get(stage)
        avg = r["avg_in_stage"] if r else None
        out.append(
            {
                "stage": stage,
                "accounts": r["accounts"] if r else 0,
                "arr_total": (r["arr_total"] if r else None) or Decimal("0"),
                "avg_days_in_stage": round_half_up(avg.total_seconds() / 86400, 1) if avg else None,
                "entered_last_30d": recent.get(stage, 0),
            }
        )
    return out


def lifecycle_flows_for_actor(actor: Actor, *, since: datetime) -> list[dict[str, Any]]:
    return list(
        LifecycleStageChange.objects.filter(
            account_id__in=account_list_for_actor(actor).values("pk"), changed_at__gte=since
        )
        .order_by()
        .values("from_stage", "to_stage")
        .annotate(moves=Count("id"))
        .order_by("-moves", "from_stage", "to_stage")
    )


def stage_history_page(
    account_id: int, *, after: tuple[datetime, int] | None, limit: int
) -> tuple[list[LifecycleStageChange], bool]:
    qs = (
        LifecycleStageChange.objects.filter(account_id=account_id)
        .select_related("changed_by")
        .order_by("-changed_at", "-id")
    )
    if after is not None:
        at, pk = after
        qs = qs.filter(Q(changed_at__lt=at) | Q(changed_at=at, pk__lt=pk))
    rows = list(qs[: limit + 1])
    return rows[:limit], len(rows) > limit


# --- value tiers -----------------------------------------------------------------------
def value_tiers_annotated(
    actor: Actor, *, boundaries: list[Decimal], include_churned: bool
) -> QuerySet[Account]:
    """The actor's accounts with `tier_index` (by ARR in the reporting currency; null when
    their currency has no rate) and latest health score/band."""
    latest = HealthScore.objects.filter(latest_of__account_id=OuterRef("pk"))
    qs = account_list_for_actor(actor)
    if not include_churned:
        qs = qs.exclude(status=AccountStatus.CHURNED)
    whens = [When(arr_reporting__isnull=True, then=Value(None))]
    whens += [When(arr_reporting__lt=b, then=Value(i)) for i, b in enumerate(boundaries)]
    return qs.annotate(
        tier_index=Case(*whens, default=Value(len(boundaries)), output_field=IntegerField()),
        h_score=Subquery(latest.values("score")[:1]),
        h_band=Coalesce(Subquery(latest.values("band")[:1]), Value("unknown")),
    )


BANDS = tuple(HealthBand.values)


def value_tier_totals(qs: QuerySet[Account]) -> dict[int, dict[str, Any]]:
    rows = (
        qs.order_by()
        .values("tier_index")
        .annotate(
            accounts=Count("id"),
            arr_total=Sum("arr_reporting"),
            avg_score=Avg("h_score"),
            scored=Count("h_score"),
            **{b: Count("id", filter=Q(h_band=b)) for b in BANDS},
        )
    )
    return {r["tier_index"]: r for r in rows}


def value_tier_accounts_page(
    qs: QuerySet[Account], *, tier: int, after: tuple[Decimal, int] | None, limit: int
) -> tuple[list[Account], bool]:
    page = qs.filter(tier_index=tier).order_by("-arr_reporting", "pk")
    if after is not None:
        arr, pk = after
        page = page.filter(Q(arr_reporting__lt=arr) | Q(arr_reporting=arr, pk__gt=pk))
    rows = list(page[: limit + 1])
    return rows[:limit], len(rows) > limit
