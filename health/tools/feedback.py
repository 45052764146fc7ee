"""Feedback and product-intelligence tools: collect feedback, its sentiment (VADER), the
voice of the customer, product insights linked to their feedback, and CS metrics."""

from __future__ import annotations

from cs_platform.core.contracts.actions import action_fields_check
from cs_platform.core.errors import field_error
from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_get_for_actor, account_list_for_actor
from health.models import Feedback, FeedbackKind, FeedbackStatus, ProductInsight
from health.selectors.cs_metrics import cs_metrics_monthly
from health.selectors.feedback import (
    feedback_counts,
    feedback_for_actor,
    feedback_get_for_actor,
    insight_evidence,
    insight_get,
    insight_list,
    sentiment_analysis,
    since_days,
)
from health.selectors.satisfaction import satisfaction_overall, survey_responses_in_window
from health.services.insights import INSIGHT_FIELDS, insight_create, insight_update
from health.services.sentiment import sentiment_label
from health.services.voice import feedback_create, feedback_update
from health.tools.feedback_contracts import (
    AnalyzeFeedbackSentimentInput,
    AnalyzeFeedbackSentimentOutput,
    CollectFeedbackInput,
    CollectFeedbackOutput,
    FeedbackOut,
    InsightOut,
    ManageVoiceOfCustomerInput,
    ManageVoiceOfCustomerOutput,
    ShareProductInsightsInput,
    ShareProductInsightsOutput,
    ThemeOut,
    TrackCsMetricsInput,
    TrackCsMetricsOutput,
    VocSummaryOut,
)


def _feedback_out(f: Feedback) -> FeedbackOut:
    return FeedbackOut(
        id=f.pk,
        account_id=f.account_id,
        contact_id=f.contact_id,
        kind=f.kind,
        status=f.status,
        source=f.source,
        product_area=f.product_area,
        tags=list(f.tags or []),
        text=f.text,
        sentiment=f.sentiment,
        sentiment_label=sentiment_label(f.sentiment) if f.sentiment is not None else None,
        created_at=f.created_at,
    )


def _scope_account(ctx: ToolContext, account_id: int | None) -> None:
    if account_id is not None:
        account_get_for_actor(ctx.actor, account_id)  # out of scope → not_found


@tool(permission="write", read_only=False, read_actions=("list",))
def collect_feedback(ctx: ToolContext, params: CollectFeedbackInput) -> CollectFeedbackOutput:
    """Record customer feedback or list it. create stores the text with its kind, area,
    tags and contact; its sentiment is scored by VADER (compound −1..1) when stored. list
    pages newest first with filters."""
    action_fields_check(
        params,
        required={"create": ("account_id", "kind", "text")},
        allowed={
            "create": ("contact_id", "product_area", "tags", "source"),
            "list": ("account_id", "kind", "product_area", "status", "days", "limit"),
        },
    )
    if params.action == "create":
        account = account_get_for_actor(ctx.actor, params.account_id)
        row = feedback_create(
            actor=ctx.actor,
            account_id=account.pk,
            kind=params.kind,
            text=params.text or "",
            contact_id=params.contact_id,
            product_area=params.product_area or "",
            source=params.source or "api",
            tags=params.tags,
        )
        ctx.audit(row, account_id=account.pk)
        return CollectFeedbackOutput(as_of=ctx.now, action="create", feedback=[_feedback_out(row)])
    _scope_account(ctx, params.account_id)
    qs = feedback_for_actor(
        ctx.actor,
        account_id=params.account_id,
        since=since_days(ctx.now, params.days) if params.days else None,
        kind=params.kind,
        product_area=params.product_area,
        status=params.status,
    ).order_by("-created_at", "-id")
    return CollectFeedbackOutput(
        as_of=ctx.now, action="list", feedback=[_feedback_out(f) for f in qs[: params.limit]]
    )


@tool(permission="read", read_only=True)
def analyze_feedback_sentiment(
    ctx: ToolContext, params: AnalyzeFeedbackSentimentInput
) -> AnalyzeFeedbackSentimentOutput:
    """Sentiment of feedback from the last `days` days (VADER compound −1..1; positive ≥
    0.05, negative ≤ −0.05): counts, mean, by kind, by theme (stored tags, else product
    area) with the negative share, by month, and the most negative items."""
    _scope_account(ctx, params.account_id)
    qs = feedback_for_actor(
        ctx.actor,
        account_id=params.account_id,
        since=since_days(ctx.now, params.days),
        kind=params.kind,
        product_area=params.product_area,
    )
    return AnalyzeFeedbackSentimentOutput(
        as_of=ctx.now, account_id=params.account_id, **sentiment_analysis(qs)
    )


@tool(permission="write", read_only=False, read_actions=("summary",))
def manage_voice_of_customer(
    ctx: ToolContext, params: ManageVoiceOfCustomerInput
) -> ManageVoiceOfCustomerOutput:
    """The voice of the customer for an account or your book over `days` days: NPS and
    CSAT from survey answers, feedback by status and kind, open feature requests, mean
    sentiment, top themes and how much feedback reached a product insight. triage
    changes one feedback's status, kind, area or tags (audited)."""
    action_fields_check(
        params,
        required={"triage": ("feedback_id",)},
        allowed={
            "summary": ("account_id", "days"),
            "triage": ("status", "kind", "product_area", "tags"),
        },
    )
    if params.action == "triage":
        row = feedback_get_for_actor(ctx.actor, params.feedback_id, for_update=True)
        fields = ("status", "kind", "product_area", "tags")
        changes = {f: getattr(params, f) for f in fields if getattr(params, f) is not None}
        if not changes:
            raise field_error(
                "body", "triage needs a status, kind, product_area or tags", code="empty"
            )
        changed = feedback_update(actor=ctx.actor, feedback=row, changes=changes)
        ctx.audit(row, account_id=row.account_id)
        return ManageVoiceOfCustomerOutput(
            as_of=ctx.now,
            action="triage",
            account_id=row.account_id,
            summary=None,
            feedback=_feedback_out(row),
            changed=changed,
        )
    _scope_account(ctx, params.account_id)
    since = since_days(ctx.now, params.days)
    accounts = account_list_for_actor(ctx.actor)
    if params.account_id is not None:
        accounts = accounts.filter(pk=params.account_id)
    sat = satisfaction_overall(survey_responses_in_window(accounts, since=since, until=ctx.now))
    qs = feedback_for_actor(ctx.actor, account_id=params.account_id, since=since)
    counts = feedback_counts(qs)
    analysis = sentiment_analysis(qs, worst=0)
    open_requests = qs.filter(
        kind=FeedbackKind.FEATURE_REQUEST,
        status__in=[FeedbackStatus.NEW, FeedbackStatus.TRIAGED, FeedbackStatus.PLANNED],
    ).count()
    summary = VocSummaryOut(
        nps=sat["nps"],
        nps_responses=sat["nps_responses"],
        csat_avg=sat["csat_avg"],
        csat_responses=sat["csat_responses"],
        feedback=analysis["feedback"],
        by_status=counts["by_status"],
        by_kind=counts["by_kind"],
        open_feature_requests=open_requests,
        average_sentiment=analysis["average"],
        top_themes=[ThemeOut(**t) for t in analysis["themes"][:5]],
        feedback_in_insights=qs.filter(insights__isnull=False).distinct().count(),
    )
    return ManageVoiceOfCustomerOutput(
        as_of=ctx.now,
        action="summary",
        account_id=params.account_id,
        summary=summary,
        feedback=None,
        changed=[],
    )


def _insights_out(ctx: ToolContext, rows: list[ProductInsight]) -> list[InsightOut]:
    evidence = insight_evidence(ctx.actor, rows)
    return [
        InsightOut(
            id=i.pk,
            title=i.title,
            summary=i.summary,
            product_area=i.product_area,
            status=i.status,
            shared_with=i.shared_with,
            created_by=i.created_by.get_username() if i.created_by_id else None,
            created_at=i.created_at,
            **evidence[i.pk],
        )
        for i in rows
    ]


@tool(permission="write", read_only=False, read_actions=("get", "list"))
def share_product_insights(
    ctx: ToolContext, params: ShareProductInsightsInput
) -> ShareProductInsightsOutput:
    """Share a product insight with a team as a stored record linked to the feedback
    behind it (feedback in your book only), then track its status (acknowledged,
    planned, shipped, declined). Each insight answers its evidence: feedback count,
    accounts, their ARR, mean sentiment and kinds."""
    action_fields_check(
        params,
        required={
            "create": ("title", "summary", "shared_with", "feedback_ids"),
            "update": ("insight_id",),
            "get": ("insight_id",),
        },
        allowed={
            "create": ("product_area",),
            "update": ("title", "summary", "product_area", "shared_with", "status", "feedback_ids"),
            "list": ("status", "limit"),
        },
    )
    fields = {f: getattr(params, f) for f in INSIGHT_FIELDS if getattr(params, f) is not None}
    changed: list[str] = []
    if params.action == "create":
        insight = insight_create(
            actor=ctx.actor, fields=fields, feedback_ids=params.feedback_ids or []
        )
        changed = sorted([*fields, "feedback"])
        ctx.audit(insight)
        rows = [insight]
    elif params.action == "update":
        insight = insight_get(params.insight_id)
        if not fields and not params.feedback_ids:
            raise field_error("body", "update needs a field or feedback_ids", code="empty")
        changed = sorted(
            insight_update(
                actor=ctx.actor,
                insight=insight,
                changes=fields,
                add_feedback_ids=params.feedback_ids,
            )
        )
        ctx.audit(insight)
        rows = [insight]
    elif params.action == "get":
        rows = [insight_get(params.insight_id)]
    else:
        rows = insight_list(status=params.status, limit=params.limit)
    return ShareProductInsightsOutput(
        as_of=ctx.now, action=params.action, insights=_insights_out(ctx, rows), changed=changed
    )


@tool(permission="read", read_only=True)
def track_cs_metrics(ctx: ToolContext, params: TrackCsMetricsInput) -> TrackCsMetricsOutput:
    """Monthly customer-success metrics from rows for an account or your book: GRR, NRR
    and logo churn of renewals closed in the month (reporting currency), median
    time-to-value of onboarding plans completed, NPS and CSAT, and CTA closure. A month
    without data answers null, never 0; `definitions` states each formula."""
    _scope_account(ctx, params.account_id)
    accounts = account_list_for_actor(ctx.actor)
    if params.account_id is not None:
        accounts = accounts.filter(pk=params.account_id)
    out = cs_metrics_monthly(
        accounts, today=ctx.now.date(), months=params.months, tz=ctx.now.tzinfo
    )
    return TrackCsMetricsOutput(as_of=ctx.now, account_id=params.account_id, **out)
