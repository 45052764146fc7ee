"""Health scoring tools: score, explain, backtest, churn risk, risk factors. Thin: parse →
service/selector → shape. Contracts live in ``health.tools.scoring_contracts``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from cs_platform.core.contracts import PageInfo, cursor_decode, cursor_encode
from cs_platform.core.errors import NotFound, field_error
from cs_platform.core.tools import ToolContext, tool
from customers.selectors import account_get_for_actor, account_list_for_actor
from customers.selectors.money import reporting_currency
from health.scoring import MODEL_VERSION, explain_change
from health.scoring.urgency import risk_priority
from health.selectors.backtest import scorecard_backtest
from health.selectors.churn import (
    accounts_without_prediction_count,
    churn_prediction_at,
    churn_ranked_page,
)
from health.selectors.churn_calibration import calibration_summary, churn_calibration_latest
from health.selectors.snapshots import (
    NO_SNAPSHOT,
    health_snapshot_at_or_before,
    health_snapshot_get,
    health_snapshot_latest,
    health_snapshot_oldest,
    health_summaries,
    health_trend_for_account,
    snapshot_result,
)
from health.services.churn_risk import churn_predictions_refresh
from health.services.risk_factors import risk_factors_score
from health.services.scoring import health_recompute_accounts
from health.services.scoring.churn import factors_expanded
from health.services.scoring.context import scorecard_row_get
from health.tools.scoring_contracts import (
    BacktestScorecardInput,
    BacktestScorecardOutput,
    CalculateHealthScoreInput,
    CalculateHealthScoreOutput,
    ChurnRiskRow,
    ExplainHealthChangeInput,
    ExplainHealthChangeOutput,
    IdentifyChurnRiskInput,
    IdentifyChurnRiskOutput,
    IndicatorRow,
    ScoreRiskFactorsInput,
    ScoreRiskFactorsOutput,
)
from health.tools.scoring_shapes import (
    factor_rows,
    measure_change_rows,
    score_output_fields,
    snapshot_ref,
)


@tool(permission="write", read_only=False, idempotent=False)
def calculate_health_score(
    ctx: ToolContext, params: CalculateHealthScoreInput
) -> CalculateHealthScoreOutput:
    """Compute an account's health score now from its stored data and save the snapshot.

    Returns the score (0–100, or null with band `unknown` when there is no data — never a
    neutral 50), band (`insufficient_data` when data backs less than the scorecard's
    min_coverage, 60% by default), coverage and confidence, and for every measure its raw
    input (with the date of the data behind it), score, weight and contribution in points;
    the inputs that were missing and why; any manual override (the computed score stays visible);
    the 30/90-day trend from stored snapshots; and the churn probability saved with it.
    """
    account = account_get_for_actor(ctx.actor, params.account_id)
    health_recompute_accounts(
        account_ids=[account.pk],
        as_of=ctx.now,
        actor=ctx.actor.user,
        actor_label=ctx.actor.label,
        channel=ctx.actor.channel,
    )
    snapshot = health_snapshot_at_or_before(account.pk, ctx.now)
    if snapshot is None or snapshot.as_of != ctx.now:
        # The recompute above committed this snapshot: not finding it is a bug, not a
        # condition a retry could change.
        raise RuntimeError(f"snapshot of account {account.pk} at {ctx.now} not read back")
    prediction = churn_prediction_at(account.pk, snapshot.as_of)
    trend = health_trend_for_account(account.pk, snapshot)
    ctx.audit(snapshot, account_id=account.pk, changes={"score": str(snapshot.score)})
    return CalculateHealthScoreOutput(
        as_of=snapshot.as_of,
        account_id=account.pk,
        snapshot_id=snapshot.pk,
        scorecard=str(snapshot.scorecard),
        **score_output_fields(snapshot_result(snapshot), snapshot.inputs),
        trend={
            "direction": trend.direction,
            "basis_days": trend.direction_basis_days,
            "windows": [w.to_dict() for w in trend.windows],
        },
        churn_probability=float(prediction.probability) if prediction else None,
        churn_risk_level=prediction.risk_level if prediction else "unknown",
    )


@tool(permission="read", read_only=True)
def explain_health_change(
    ctx: ToolContext, params: ExplainHealthChangeInput
) -> ExplainHealthChangeOutput:
    """Explain why an account's health score changed between two stored snapshots.

    Default: the latest snapshot against the newest one at least `days` (30) older; or
    name `from_snapshot_id`/`to_snapshot_id`. Like with like: the change is explained over
    the measures scored at both dates (comparable_*, each measure's like_delta); measures
    newly or no longer measured are listed apart, never as drivers. Returns score, band and
    coverage deltas, a summary, every measure with a reason ("Usage trend fell from +2.0%
    to −40.0%: measure 83 → 12, −9.9 points"), drivers first. Read-only.
    """
    account = account_get_for_actor(ctx.actor, params.account_id)
    if params.to_snapshot_id:
        after = health_snapshot_get(account.pk, params.to_snapshot_id, field="to_snapshot_id")
    else:
        after = health_snapshot_latest(account.pk)
        if after is None:
            raise NotFound(
                f"account {account.pk} has no health snapshot yet; run calculate_health_score",
                details={"field": "account_id"},
            )
    if params.from_snapshot_id:
        before = health_snapshot_get(account.pk, params.from_snapshot_id, field="from_snapshot_id")
    else:
        before = health_snapshot_at_or_before(account.pk, after.as_of - timedelta(params.days))
        if before is None:
            oldest = health_snapshot_oldest(account.pk)
            raise NotFound(
                f"no snapshot of account {account.pk} is {params.days} days older than "
                f"{after.as_of:%Y-%m-%d}; the oldest is from "
                f"{oldest.as_of:%Y-%m-%d} (use fewer days or from_snapshot_id)",
                details={"field": "days", "oldest_snapshot_id": oldest.pk if oldest else None},
            )
    if before.as_of > after.as_of:
        before, after = after, before
    e = explain_change(snapshot_result(before), snapshot_result(after))
    return ExplainHealthChangeOutput(
        as_of=ctx.now,
        account_id=account.pk,
        from_snapshot=snapshot_ref(before),
        to_snapshot=snapshot_ref(after),
        summary=e.summary,
        score_delta=e.score_delta,
        computed_delta=e.computed_delta,
        band_before=e.band_before,
        band_after=e.band_after,
        coverage_delta=e.coverage_delta,
        scorecard_changed=e.scorecard_changed,
        override_change=e.override_change["kind"],
        comparable_before=e.comparable_before,
        comparable_after=e.comparable_after,
        comparable_delta=e.comparable_delta,
        measures=measure_change_rows(e),
        newly_measured=e.newly_measured,
        no_longer_measured=e.no_longer_measured,
        appeared=e.appeared,
        disappeared=e.disappeared,
        rounding_residual=e.rounding_residual,
    )


@tool(permission="read", read_only=True)
def backtest_scorecard(ctx: ToolContext, params: BacktestScorecardInput) -> BacktestScorecardOutput:
    """Can we trust the score? Test a scorecard version against recorded renewal outcomes.

    For each closed renewal in your book, scores the account as it was `horizon_days`
    (90) before the renewal date — from a stored snapshot of that version if one was
    taken then, else from the data as it was — and reports the AUC of the score for
    churned/downgraded versus renewed/expanded (0.5 is chance), how many churned accounts
    looked green, outcome counts per band, and renewals skipped for lack of data (never
    scored as 50); and the churn model's calibration at that moment: Brier score of its own
    probabilities and of Platt-scaled ones (5-fold cross-validated: each renewal's from a
    fit on the others) beside the base-rate bar, reliability tables by decile, and the
    stored calibration in force. Read-only: stores nothing.
    """
    card = scorecard_row_get(params.scorecard_key, params.scorecard_version)
    report = scorecard_backtest(
        accounts=account_list_for_actor(ctx.actor),
        card_row=card,
        horizon_days=params.horizon_days,
        today=ctx.now.date(),
        min_coverage=params.min_coverage,
        now=ctx.now,
    )
    s = report.summary
    return BacktestScorecardOutput(
        as_of=ctx.now,
        scorecard=str(card),
        horizon_days=params.horizon_days,
        renewals_considered=report.renewals_considered,
        rows_scored=s.rows_scored,
        skipped_missing_score=s.rows_skipped_missing_score,
        skipped_low_coverage=report.skipped_low_coverage,
        from_stored_snapshots=report.from_stored_snapshots,
        recomputed_from_history=report.recomputed_from_history,
        outcome_counts=s.outcome_counts,
        auc=s.auc,
        auc_note=s.auc_note,
        churned_total=s.churned_total,
        churned_green=s.churned_green,
        churned_green_share=s.churned_green_share,
        band_outcomes=s.band_outcomes,
        churn_model=MODEL_VERSION,
        brier=report.calibration.brier,
        brier_calibrated=report.calibrated.brier if report.calibrated else None,
        brier_base_rate=report.calibration.brier_base_rate,
        reliability=[b.to_dict() for b in report.calibration.table],
        reliability_calibrated=(
            [b.to_dict() for b in report.calibrated.table] if report.calibrated else []
        ),
        calibration_note=report.calibration_note,
        calibration_in_force=calibration_summary(churn_calibration_latest()),
        truncated=report.truncated,
    )


# A read that stores the predictions it had to compute: the read scope suffices, the
# write being the system's derivation (cs_platform.core.tools.tool). The explicit
# recompute is calculate_health_score, a write.
@tool(permission="read", read_only=False, idempotent=True)
def identify_churn_risk(
    ctx: ToolContext, params: IdentifyChurnRiskInput
) -> IdentifyChurnRiskOutput:
    """List accounts that can still churn, ranked by risk x ARR x renewal urgency.

    `status` active by default (churned accounts: analyze_churn_postmortem). Each row
    shows the parts of its rank: churn probability (latest snapshot, calibrated by the
    stored fit in force, `calibration`; missing or stale predictions are computed and
    saved), ARR in the reporting currency, days to the next open renewal and urgency (1
    within 30 days or overdue, 0.75 within 90, 0.5 within 180, else 0.25),
    priority = their product; then risk level, model coverage, health band/coverage, the
    top factors (one reason line each, starting with its effect) and missing features.
    Filter by minimum risk level, tier or owner; paginate with `cursor`.
    """
    accounts = account_list_for_actor(ctx.actor).filter(status=params.status)
    if params.tier:
        accounts = accounts.filter(tier=params.tier)
    if params.owner_id:
        accounts = accounts.filter(owner_id=params.owner_id)
    refresh = churn_predictions_refresh(
        accounts=accounts, now=ctx.now, actor_label=ctx.actor.label, channel=ctx.actor.channel
    )
    raw = cursor_decode(params.cursor, required_keys=("r", "a"))
    after = None
    if raw:
        try:
            after = (Decimal(str(raw["r"])), int(raw["a"]))
        except (ArithmeticError, TypeError, ValueError):
            raise field_error("cursor", "is not a cursor returned by this tool") from None
    today = ctx.now.date()
    page, has_next = churn_ranked_page(
        accounts, min_risk_level=params.min_risk_level, today=today, after=after,
        limit=params.limit,
    )  # fmt: skip
    latest = health_summaries([c.account_id for c in page])
    without = accounts_without_prediction_count(accounts)
    ctx.audit(changes={"predictions_written": refresh.predictions_written})
    rows = []
    for c in page:
        health = latest.get(c.account_id, NO_SNAPSHOT)
        arr = c.account.arr_reporting
        rows.append(
            ChurnRiskRow(
                account_id=c.account_id,
                name=c.account.name,
                probability=float(c.probability),
                calibration_version=c.calibration.version if c.calibration_id else None,
                arr=None if arr is None else float(arr),
                days_to_renewal=None if c.renewal_date is None else (c.renewal_date - today).days,
                urgency=float(c.urgency),
                priority=risk_priority(c.probability, arr, c.urgency),
                risk_level=c.risk_level,
                coverage=float(c.coverage),
                prediction_as_of=c.as_of,
                health_score=health.score,
                health_band=health.band,
                health_coverage=health.coverage,
                health_missing=list(health.missing),
                top_factors=factor_rows(factors_expanded(c.factors), present_only=True)[:4],
                missing_features=[f["key"] for f in c.factors if f.get("status") == "missing"],
            )
        )
    return IdentifyChurnRiskOutput(
        as_of=ctx.now,
        model_version=MODEL_VERSION,
        reporting_currency=reporting_currency(),
        accounts=rows,
        predictions_written=refresh.predictions_written,
        accounts_scored_now=refresh.accounts_scored_now,
        accounts_without_prediction=without,
        calibration=calibration_summary(churn_calibration_latest()),
        page=PageInfo(
            next_cursor=cursor_encode({"r": str(page[-1].priority), "a": page[-1].account_id})
            if has_next
            else None,
            has_next=has_next,
            limit=params.limit,
        ),
    )


@tool(permission="write", read_only=False, idempotent=False)
def score_risk_factors(ctx: ToolContext, params: ScoreRiskFactorsInput) -> ScoreRiskFactorsOutput:
    """Score one account's churn risk factors now and keep its risk indicators in sync.

    Re-scores the account, stores the churn prediction, and returns every model factor
    with its contribution in log-odds (positive raises risk) and why. Factors raising the
    log-odds by at least `threshold` become open risk indicators (updated if already
    open); open indicators whose factor has fallen below it are resolved. Missing data
    never resolves an indicator.
    """
    account = account_get_for_actor(ctx.actor, params.account_id)
    outcome = risk_factors_score(
        account_id=account.pk,
        threshold=params.threshold,
        now=ctx.now,
        actor=ctx.actor.user,
        actor_label=ctx.actor.label,
        channel=ctx.actor.channel,
    )
    p = outcome.prediction
    ctx.audit(
        account,
        account_id=account.pk,
        changes={"indicators": [(i.kind, change) for i, change in outcome.changes]},
    )
    return ScoreRiskFactorsOutput(
        as_of=ctx.now,
        account_id=account.pk,
        model_version=MODEL_VERSION,
        probability=float(p.probability) if p else None,
        raw_probability=(
            float(p.raw_probability) if p is not None and p.raw_probability is not None else None
        ),
        calibration=calibration_summary(churn_calibration_latest()),
        risk_level=p.risk_level if p else "unknown",
        coverage=float(p.coverage) if p else 0.0,
        factors=factor_rows(outcome.factors),
        indicators=[
            IndicatorRow(
                indicator_id=i.pk,
                kind=i.kind,
                severity=i.severity,
                value=i.value,
                detected_at=i.detected_at,
                resolved_at=i.resolved_at,
                change=change,
            )
            for i, change in outcome.changes
        ],
    )
