"""The account 360 as a page: everything about one account already in the reader's scope,
in a fixed number of queries however long its history (each part one or two queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q

from customers.models import Contact
from health.models import (
    ChurnPrediction,
    Feature,
    FeatureAdoption,
    HealthScore,
    SurveyResponse,
    UsageDaily,
)
from health.models.voice import Feedback
from health.scoring.explain import fmt_input
from health.selectors.snapshots import snapshot_result
from health.services.scoring.churn import factors_expanded
from integrations.models import SupportTicket
from integrations.services.ticket_sla import sla_state
from portfolio.selectors.health_changes import HealthChange, health_changes_explained
from portfolio.selectors.overview import account_overview
from portfolio.selectors.timeline import TimelineItem, account_timeline

TREND_DAYS = 180
USAGE_DAYS = 90
CHANGE_DAYS = 30
# An input whose data is this much older than the snapshot describes the account as it
# was, not as it is: flagged on the page.
STALE_INPUT_DAYS = 14
ROWS = 10


@dataclass(frozen=True)
class ComponentRow:
    key: str
    label: str
    group: str | None
    input_text: str
    input_as_of: datetime | date | None
    stale: bool
    missing_reason: str | None
    score: float | None
    weight: float | None  # effective weight, 0..1
    contribution: float | None  # points of the 0..100 score
    status: str


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def health_components(snapshot: HealthScore) -> list[ComponentRow]:
    """Each measure of the snapshot with its input and the date of the data behind it."""
    result = snapshot_result(snapshot)
    inputs = snapshot.inputs or {}
    rows = []
    for m in result.get("measures", []):
        record = inputs.get(m.get("input_key") or m.get("key"), {}) or {}
        as_of = _moment(record.get("as_of"))
        stale = False
        if as_of is not None:
            aware = as_of if as_of.tzinfo else as_of.replace(tzinfo=snapshot.as_of.tzinfo)
            stale = snapshot.as_of - aware > timedelta(days=STALE_INPUT_DAYS)
        rows.append(
            ComponentRow(
                key=m.get("key"),
                label=m.get("label") or m.get("key"),
                group=m.get("group"),
                input_text=fmt_input(m.get("raw_input"), m.get("unit", "")),
                input_as_of=as_of,
                stale=stale,
                missing_reason=m.get("missing_reason") or record.get("missing"),
                score=m.get("score"),
                weight=m.get("effective_weight"),
                contribution=m.get("contribution"),
                status=m.get("status", ""),
            )
        )
    rows.sort(key=lambda r: -(r.weight or 0))
    return rows


def health_history(account_id: int, *, now: datetime) -> list[tuple[datetime, float | None]]:
    rows = (
        HealthScore.objects.filter(account_id=account_id, as_of__gte=now - timedelta(TREND_DAYS))
        .order_by("as_of")
        .values_list("as_of", "score")
    )
    return [(as_of, float(score) if score is not None else None) for as_of, score in rows]


def usage_days(account_id: int, *, today: date) -> list[dict[str, Any]]:
    return list(
        UsageDaily.objects.filter(
            account_id=account_id, date__gt=today - timedelta(days=USAGE_DAYS), date__lte=today
        )
        .order_by("date")
        .values("date", "active_users", "sessions", "minutes")
    )


def feature_adoption_rows(account_id: int, *, today: date) -> dict[str, Any]:
    """Tracked features, used or not: which this account uses and how recently (two
    queries)."""
    since = today - timedelta(days=29)
    features = list(Feature.objects.filter(is_tracked=True).order_by("name")[:50])
    used = {
        a.feature_id: a
        for a in FeatureAdoption.objects.filter(
            account_id=account_id, feature_id__in=[f.pk for f in features]
        )
    }
    rows = [
        {
            "name": f.name,
            "category": f.category,
            "adoption": used.get(f.pk),
            "active": used.get(f.pk) is not None and used[f.pk].last_used_on >= since,
        }
        for f in features
    ]
    rows.sort(key=lambda r: (not r["active"], r["adoption"] is None, r["name"]))
    active = sum(1 for r in rows if r["active"])
    return {
        "rows": rows,
        "tracked": len(features),
        "active_30d": active,
        "used_ever": len(used),
    }


def ticket_rows(account_id: int, *, now: datetime) -> list[dict[str, Any]]:
    """Latest tickets, open first, each with its SLA state in words: "breached" only when
    a target was missed, "met" when answered and resolved in time, else when it is due."""
    tickets = (
        SupportTicket.objects.filter(account_id=account_id)
        .order_by("-opened_at", "-id")
        .only(
            "id",
            "subject",
            "status",
            "priority",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "sla_first_response_minutes",
            "sla_resolution_minutes",
            "sla_breached",
            "external_id",
        )
    )
    tickets = list(tickets[:ROWS])
    rows = []
    for t in tickets:
        state = sla_state(
            opened_at=t.opened_at,
            first_response_at=t.first_response_at,
            resolved_at=t.resolved_at,
            first_response_minutes=t.sla_first_response_minutes,
            resolution_minutes=t.sla_resolution_minutes,
            now=now,
        )
        breached = t.sla_breached or state.breached
        has_target = state.first_response_due_at or state.resolution_due_at
        if breached:
            sla = "breached"
        elif not has_target:
            sla = "no target"
        elif t.resolved_at is not None:
            sla = "met"
        else:
            sla = "within"
        due = None
        if sla == "within":
            due = (
                state.first_response_due_at
                if t.first_response_at is None and state.first_response_due_at
                else state.resolution_due_at
            )
        rows.append({"ticket": t, "sla": sla, "due": due})
    return rows


def voice_rows(account_id: int) -> dict[str, Any]:
    return {
        "responses": list(
            SurveyResponse.objects.filter(account_id=account_id)
            .order_by("-responded_at", "-id")
            .values("kind", "score", "comment", "responded_at")[:ROWS]
        ),
        "feedback": list(
            Feedback.objects.filter(account_id=account_id)
            .order_by("-created_at", "-id")
            .values("kind", "status", "text", "sentiment", "created_at", "product_area")[:ROWS]
        ),
    }


def churn_risk(account_id: int, snapshot: HealthScore | None) -> dict[str, Any] | None:
    prediction = (
        ChurnPrediction.objects.filter(account_id=account_id)
        .filter(Q(as_of=snapshot.as_of) if snapshot else Q())
        .order_by("-as_of", "-predicted_at")
        .first()
    )
    if prediction is None:
        return None
    factors = [f for f in factors_expanded(prediction.factors) if f.get("status") == "present"]
    factors.sort(key=lambda f: -abs(f.get("log_odds") or 0))
    return {
        "probability": float(prediction.probability),
        "risk_level": prediction.risk_level,
        "coverage": float(prediction.coverage),
        "as_of": prediction.as_of,
        "factors": factors[:6],
        "missing": [f.get("key") for f in prediction.factors if f.get("status") == "missing"],
    }


@dataclass
class Account360:
    overview: dict[str, Any]
    snapshot: HealthScore | None
    components: list[ComponentRow]
    history: list[tuple[datetime, float | None]]
    change: HealthChange | None
    churn: dict[str, Any] | None
    usage: list[dict[str, Any]]
    adoption: dict[str, Any]
    tickets: list[dict[str, Any]]
    voice: dict[str, Any]
    contacts: list[Contact]
    timeline: list[TimelineItem]


def account_360(account: Any, *, today: date, now: datetime) -> Account360:
    """The page's data for an account the caller already fetched within its scope."""
    overview = account_overview(account, today=today)
    snapshot = overview["health"]
    change = None
    if snapshot is not None:
        change = health_changes_explained([snapshot.pk], days=CHANGE_DAYS).get(account.pk)
    timeline, _ = account_timeline(
        account.pk, kinds=None, since=None, until=None, cursor=None, limit=15
    )
    return Account360(
        overview=overview,
        snapshot=snapshot,
        components=health_components(snapshot) if snapshot is not None else [],
        history=health_history(account.pk, now=now),
        change=change,
        churn=churn_risk(account.pk, snapshot),
        usage=usage_days(account.pk, today=today),
        adoption=feature_adoption_rows(account.pk, today=today),
        tickets=ticket_rows(account.pk, now=now),
        voice=voice_rows(account.pk),
        contacts=list(
            Contact.objects.filter(account_id=account.pk, erased_at__isnull=True).order_by(
                "-is_primary", "last_name", "id"
            )[:20]
        ),
        timeline=timeline,
    )


__all__ = ["Account360", "ComponentRow", "account_360", "health_components"]
