"""Reads of customer feedback: sentiment analysis, voice-of-customer summaries and product
insights with the evidence behind them. Every read is scoped to the actor's accounts."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import mean
from typing import Any

from django.db.models import Count, QuerySet

from cs_platform.core.actors import Actor
from cs_platform.core.errors import NotFound
from customers.selectors import account_list_for_actor
from health.models import Feedback, ProductInsight
from health.services.sentiment import sentiment_label, text_sentiment

EXCERPT = 140


def feedback_for_actor(
    actor: Actor,
    *,
    account_id: int | None = None,
    since: datetime | None = None,
    kind: str | None = None,
    product_area: str | None = None,
    status: str | None = None,
) -> QuerySet[Feedback]:
    qs = Feedback.objects.filter(account__in=account_list_for_actor(actor))
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if kind:
        qs = qs.filter(kind=kind)
    if product_area:
        qs = qs.filter(product_area__iexact=product_area)
    if status:
        qs = qs.filter(status=status)
    return qs


def feedback_get_for_actor(actor: Actor, feedback_id: int, *, for_update: bool = False) -> Feedback:
    qs = feedback_for_actor(actor)
    if for_update:
        qs = qs.select_for_update(of=("self",))
    row = qs.filter(pk=feedback_id).first()
    if row is None:
        raise NotFound(f"no feedback {feedback_id} in your book", details={"field": "feedback_id"})
    return row


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def _avg(values: list[float]) -> float | None:
    return round(mean(values), 3) if values else None


def sentiment_analysis(qs: QuerySet[Feedback], *, worst: int = 5) -> dict[str, Any]:
    """Distribution, themes (tags, then product area), kinds and months of the feedback in
    `qs`. A row's stored sentiment is used; one without is scored by VADER now (counted in
    `scored_now`, not written: this is a read)."""
    rows = list(
        qs.order_by("created_at", "id").values_list(
            "id", "account_id", "kind", "product_area", "tags", "text", "sentiment", "created_at"
        )
    )
    scored_now = 0
    labels: Counter[str] = Counter()
    by_kind: dict[str, list[float]] = defaultdict(list)
    themes: dict[str, list[float]] = defaultdict(list)
    months: dict[date, list[float]] = defaultdict(list)
    items = []
    for fid, account_id, kind, area, tags, text, stored, created in rows:
        score = stored
        if score is None:
            score = text_sentiment(text)
            scored_now += 1
        labels[sentiment_label(score)] += 1
        by_kind[kind].append(score)
        for theme in tags or ([area.lower()] if area else []):
            themes[theme].append(score)
        months[created.date().replace(day=1)].append(score)
        items.append((score, fid, account_id, kind, text))
    items.sort(key=lambda i: (i[0], i[1]))
    n = len(rows)
    return {
        "feedback": n,
        "scored_now": scored_now,
        "average": _avg([i[0] for i in items]),
        "positive": labels["positive"],
        "neutral": labels["neutral"],
        "negative": labels["negative"],
        "by_kind": [
            {"key": k, "count": len(v), "average": _avg(v)} for k, v in sorted(by_kind.items())
        ],
        "themes": [
            {
                "key": t,
                "count": len(v),
                "average": _avg(v),
                "negative_pct": round(
                    100 * sum(1 for s in v if sentiment_label(s) == "negative") / len(v), 1
                ),
            }
            for t, v in sorted(themes.items(), key=lambda x: (-len(x[1]), x[0]))[:15]
        ],
        "monthly": [
            {"month": m, "count": len(v), "average": _avg(v)} for m, v in sorted(months.items())
        ],
        "most_negative": [
            {"id": fid, "account_id": acc, "kind": kind, "sentiment": s, "excerpt": excerpt(text)}
            for s, fid, acc, kind, text in items[:worst]
            if sentiment_label(s) == "negative"
        ],
    }


def feedback_counts(qs: QuerySet[Feedback]) -> dict[str, dict[str, int]]:
    """Counts by status and by kind (two grouped queries)."""
    by_status = dict(qs.order_by().values_list("status").annotate(n=Count("id")))
    by_kind = dict(qs.order_by().values_list("kind").annotate(n=Count("id")))
    return {"by_status": by_status, "by_kind": by_kind}


# --- product insights --------------------------------------------------------------------


def insight_list(*, status: str | None, limit: int) -> list[ProductInsight]:
    qs = ProductInsight.objects.select_related("created_by")
    if status:
        qs = qs.filter(status=status)
    return list(qs[:limit])


def insight_get(insight_id: int) -> ProductInsight:
    row = ProductInsight.objects.select_related("created_by").filter(pk=insight_id).first()
    if row is None:
        raise NotFound(f"no insight {insight_id}", details={"field": "insight_id"})
    return row


def insight_evidence(actor: Actor, insights: list[ProductInsight]) -> dict[int, dict[str, Any]]:
    """Per insight: how much feedback backs it, from how many accounts and how much ARR (in
    the reporting currency; accounts without a rate are counted apart), its mean sentiment
    and kinds, and the ids of the linked feedback in the actor's book. One query."""
    through = ProductInsight.feedback.through
    rows = through.objects.filter(productinsight_id__in=[i.pk for i in insights]).values_list(
        "productinsight_id",
        "feedback_id",
        "feedback__account_id",
        "feedback__account__arr_reporting",
        "feedback__kind",
        "feedback__sentiment",
    )
    visible = set(account_list_for_actor(actor).values_list("pk", flat=True)) if rows else set()
    out: dict[int, dict[str, Any]] = {
        i.pk: {"ids": [], "accounts": {}, "kinds": Counter(), "scores": [], "n": 0}
        for i in insights
    }
    for insight_id, fid, account_id, arr, kind, score in rows:
        e = out[insight_id]
        e["n"] += 1
        e["accounts"][account_id] = arr
        e["kinds"][kind] += 1
        if score is not None:
            e["scores"].append(score)
        if account_id in visible:
            e["ids"].append(fid)
    result = {}
    for insight_id, e in out.items():
        arrs = list(e["accounts"].values())
        result[insight_id] = {
            "feedback_count": e["n"],
            "accounts": len(arrs),
            "arr_reporting": sum((a for a in arrs if a is not None), Decimal("0")),
            "accounts_without_rate": sum(1 for a in arrs if a is None),
            "average_sentiment": _avg(e["scores"]),
            "kinds": dict(sorted(e["kinds"].items())),
            "feedback_ids": sorted(e["ids"]),
        }
    return result


def since_days(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
