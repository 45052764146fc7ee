"""Input and output contracts of the health scoring tools (pydantic, flat, documented)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from cs_platform.core.contracts import (
    AccountId,
    AsOf,
    Cursor,
    IdempotencyKey,
    Limit,
    PageInfo,
    ToolInput,
    ToolOutput,
)
from cs_platform.core.contracts.vocabulary import AnyScalar, TierName

RiskLevel = Literal["low", "medium", "high", "critical"]
ScorecardKey = Field(
    default="default",
    min_length=1,
    max_length=60,
    pattern=r"^[a-z0-9][a-z0-9_-]*$",
    description="Scorecard key; `default` is the built-in one.",
)


# --- shared blocks -------------------------------------------------------------------
class MeasureRow(ToolOutput):
    key: str
    label: str
    group: str
    input_key: str
    input: AnyScalar = Field(description="Raw input the measure read; null when missing.")
    input_as_of: str | None = Field(description="When the newest data behind the input is from.")
    unit: str
    score: float | None = Field(description="0–100 measure score; null when dropped as missing.")
    status: str = Field(description="scored, missing_dropped or missing_fixed (imputed).")
    missing_reason: str | None = Field(description="Why the input is missing (data-level code).")
    configured_weight: float = Field(description="Designed share of the score, 0–1.")
    effective_weight: float = Field(description="Share actually used after re-weighting, 0–1.")
    contribution: float = Field(description="Points of the score this measure contributed.")
    band: str | None = Field(description="The band of the measure's thresholds the input hit.")


class GroupRow(ToolOutput):
    key: str
    label: str
    score: float | None
    configured_weight: float
    effective_weight: float
    contribution: float


class MissingInput(ToolOutput):
    input_key: str
    reason: str = Field(description="e.g. no_usage_baseline, seats_unknown, no_support_source.")


class OverrideInfo(ToolOutput):
    override_id: int | None
    status: str = Field(description="active, expired, revoked or not_yet_active.")
    applied: bool
    score: float
    reason: str
    author: str
    expires_at: str | None


class TrendWindowRow(ToolOutput):
    days: int
    delta: float | None = Field(description="Points vs the stored snapshot ≥ `days` older.")
    direction: str
    reference_as_of: str | None
    reference_score: float | None
    reason: str | None = Field(description="Why there is no delta (e.g. no_point_old_enough).")


class TrendBlock(ToolOutput):
    direction: str = Field(description="improving, declining, stable or unknown.")
    basis_days: int | None
    windows: list[TrendWindowRow]


class FactorRow(ToolOutput):
    key: str
    label: str
    status: str = Field(description="present or missing.")
    value: AnyScalar
    log_odds: float = Field(description="Contribution to the churn log-odds (+ raises risk).")
    share: float = Field(description="Share of the total absolute log-odds, 0–1.")
    effect: str = Field(description="raises_risk, lowers_risk, neutral or missing.")
    why: str


# --- calculate_health_score ------------------------------------------------------------
class CalculateHealthScoreInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"account_id": 42}]})

    account_id: AccountId
    idempotency_key: IdempotencyKey


class CalculateHealthScoreOutput(ToolOutput):
    as_of: AsOf
    account_id: int
    snapshot_id: int
    scorecard: str = Field(description="Scorecard key and version, e.g. `default v1`.")
    score: float | None = Field(description="Displayed score 0–100 (an active override wins).")
    computed_score: float | None = Field(description="What the data says; null if no data.")
    band: str = Field(
        description="green, yellow, red; insufficient_data (coverage below the scorecard's "
        "min_coverage); unknown (no data)."
    )
    coverage: float = Field(description="Share of scorecard weight backed by real data, 0–1.")
    confidence: str = Field(description="high, medium or low, from coverage.")
    measures: list[MeasureRow]
    groups: list[GroupRow]
    missing_inputs: list[MissingInput]
    override: OverrideInfo | None
    trend: TrendBlock = Field(description="Computed-score trend from stored snapshots.")
    churn_probability: float | None = Field(description="The churn model's, persisted alongside.")
    churn_risk_level: str


# --- explain_health_change ---------------------------------------------------------------
class ExplainHealthChangeInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"account_id": 42, "days": 30}]})

    account_id: AccountId
    from_snapshot_id: int | None = Field(
        default=None, ge=1, description="Older snapshot; default: the one ≥ `days` before."
    )
    to_snapshot_id: int | None = Field(
        default=None, ge=1, description="Newer snapshot; default: the latest."
    )
    days: int = Field(
        default=30, ge=1, le=730, description="How far back to look when from_snapshot_id is unset."
    )

    @model_validator(mode="after")
    def _distinct(self) -> ExplainHealthChangeInput:
        if self.from_snapshot_id and self.from_snapshot_id == self.to_snapshot_id:
            raise ValueError("from_snapshot_id and to_snapshot_id must differ")
        return self


class SnapshotRef(ToolOutput):
    snapshot_id: int
    as_of: datetime
    score: float | None
    computed_score: float | None
    band: str
    coverage: float
    scorecard: str


class MeasureChangeRow(ToolOutput):
    key: str
    label: str
    change: str = Field(
        description="input_changed, weight_changed, scoring_changed, became_missing, "
        "became_present, still_missing, added/removed_from_scorecard or unchanged."
    )
    input_before: AnyScalar
    input_after: AnyScalar
    score_before: float | None
    score_after: float | None
    contribution_before: float
    contribution_after: float
    contribution_delta: float = Field(description="Points this measure moved the score.")
    like_delta: float | None = Field(
        description="Points on the like-with-like basis; null: not scored at both dates."
    )
    reason: str


class ExplainHealthChangeOutput(ToolOutput):
    as_of: AsOf
    account_id: int
    from_snapshot: SnapshotRef
    to_snapshot: SnapshotRef
    summary: str
    score_delta: float | None
    computed_delta: float | None
    band_before: str
    band_after: str
    coverage_delta: float
    scorecard_changed: bool
    override_change: str
    comparable_before: float | None = Field(
        description="Score over the measures scored at both dates (like with like)."
    )
    comparable_after: float | None
    comparable_delta: float | None
    measures: list[MeasureChangeRow] = Field(
        description="Drivers (scored at both dates) by |like_delta|, then the rest."
    )
    newly_measured: list[str] = Field(description="Measured now, not before: not drivers.")
    no_longer_measured: list[str] = Field(description="Measured before, not now.")
    appeared: list[str]
    disappeared: list[str]
    rounding_residual: float | None


# --- backtest_scorecard --------------------------------------------------------------------
class BacktestScorecardInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"scorecard_key": "default", "horizon_days": 90, "min_coverage": 0.3}]
        }
    )

    scorecard_key: str = ScorecardKey
    scorecard_version: int | None = Field(
        default=None, ge=1, description="Version to test; default: the active one."
    )
    horizon_days: int = Field(
        default=90, ge=7, le=365, description="Score each account this many days before renewal."
    )
    min_coverage: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Treat scores backed by less than this share of the scorecard's weight "
        "as missing (e.g. 0.3 ignores accounts scored from renewal date alone).",
    )


class ReliabilityRow(ToolOutput):
    decile: int
    rows: int
    mean_predicted: float
    observed_rate: float
    churned: int


class CalibrationInForce(ToolOutput):
    status: Literal["calibrated", "uncalibrated"] = Field(
        description="uncalibrated: never fitted, or the newest fit refused (see note)."
    )
    version: int | None = Field(description="Number of the stored fit; None if never fitted.")
    fitted_at: datetime | None
    outcomes: int = Field(description="Renewal outcomes the fit used.")
    note: str


class BacktestScorecardOutput(ToolOutput):
    as_of: AsOf
    scorecard: str
    horizon_days: int
    renewals_considered: int = Field(description="Closed renewals with a recorded outcome.")
    rows_scored: int
    skipped_missing_score: int = Field(description="No data at the time: not scored, not 50.")
    skipped_low_coverage: int = Field(description="Scored, but below `min_coverage`.")
    from_stored_snapshots: int
    recomputed_from_history: int
    outcome_counts: dict[str, int]
    auc: float | None = Field(description="ROC AUC of risk (100 − score) for lost renewals.")
    auc_note: str
    churned_total: int
    churned_green: int
    churned_green_share: float | None = Field(
        description="Churned accounts that were green `horizon_days` before, over churned "
        "accounts that had a band."
    )
    band_outcomes: dict[str, dict[str, int]]
    churn_model: str = Field(description="Model whose probabilities are checked below.")
    brier: float | None = Field(
        description="Mean (p − churned)² of the model's own (uncalibrated) probability at the "
        "same moment; 0 best."
    )
    brier_calibrated: float | None = Field(
        description="The same for Platt-scaled probabilities, cross-validated (each renewal's "
        "from a fit on other renewals); None when too few outcomes (calibration_note)."
    )
    brier_base_rate: float | None = Field(
        description="Brier of always answering the observed churn rate: the bar to beat."
    )
    reliability: list[ReliabilityRow] = Field(
        description="Uncalibrated, by decile of predicted probability: mean predicted vs "
        "observed rate."
    )
    reliability_calibrated: list[ReliabilityRow] = Field(
        description="Calibrated (cross-validated), by decile."
    )
    calibration_note: str = Field(description="How the calibrated figures were evaluated.")
    calibration_in_force: CalibrationInForce = Field(
        description="The stored fit that predictions apply now."
    )
    truncated: bool = Field(description="True when only the most recent renewals were tested.")


# --- identify_churn_risk ---------------------------------------------------------------------
class IdentifyChurnRiskInput(ToolInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"min_risk_level": "high", "tier": "enterprise", "limit": 10}]
        }
    )

    min_risk_level: RiskLevel = Field(default="medium", description="Lowest risk level listed.")
    status: Literal["active", "prospect"] = Field(
        default="active", description="Account status; churned ones: analyze_churn_postmortem."
    )
    tier: TierName | None = Field(default=None, description="Only this tier.")
    owner_id: int | None = Field(default=None, ge=1, description="Only this CSM's accounts.")
    cursor: Cursor
    limit: Limit = Field(default=25, ge=1, le=200, description="Page size, 1–200.")
    idempotency_key: IdempotencyKey


class ChurnRiskRow(ToolOutput):
    account_id: int
    name: str
    probability: float
    calibration_version: int | None = Field(
        description="The stored fit this probability was calibrated by; null: uncalibrated."
    )
    arr: float | None = Field(description="ARR in the reporting currency; null: no rate.")
    days_to_renewal: int | None = Field(description="To the next open renewal; <0 overdue.")
    urgency: float = Field(description="From days_to_renewal: 1, 0.75, 0.5 or 0.25.")
    priority: float = Field(description="probability × arr (null = 0) × urgency: the rank.")
    risk_level: str
    coverage: float = Field(description="Share of model weight backed by data, 0–1.")
    prediction_as_of: datetime
    health_score: float | None
    health_band: str
    health_coverage: float = Field(description="Share of health scorecard weight with data.")
    health_missing: list[str] = Field(description="Health measures without data.")
    top_factors: list[FactorRow]
    missing_features: list[str]


class IdentifyChurnRiskOutput(ToolOutput):
    as_of: AsOf
    model_version: str
    reporting_currency: str
    accounts: list[ChurnRiskRow] = Field(description="Highest priority first.")
    predictions_written: int = Field(description="Predictions computed and stored by this call.")
    accounts_scored_now: int = Field(description="Accounts that had no snapshot and were scored.")
    accounts_without_prediction: int = Field(description="In scope but with no data at all.")
    calibration: CalibrationInForce = Field(
        description="Probabilities are calibrated by this fit (new predictions apply it)."
    )
    page: PageInfo


# --- score_risk_factors ------------------------------------------------------------------------
class ScoreRiskFactorsInput(ToolInput):
    model_config = ConfigDict(json_schema_extra={"examples": [{"account_id": 42}]})

    account_id: AccountId
    threshold: float = Field(
        default=0.25,
        ge=0,
        le=5,
        description="Log-odds above which a risk-raising factor is stored as an open indicator.",
    )
    idempotency_key: IdempotencyKey


class IndicatorRow(ToolOutput):
    indicator_id: int
    kind: str
    severity: str
    value: float | None
    detected_at: datetime
    resolved_at: datetime | None
    change: str = Field(description="opened, updated or resolved by this call.")


class ScoreRiskFactorsOutput(ToolOutput):
    as_of: AsOf
    account_id: int
    model_version: str
    probability: float | None = Field(description="Calibrated when `calibration` says so.")
    raw_probability: float | None = Field(description="The model's own, before calibration.")
    calibration: CalibrationInForce
    risk_level: str
    coverage: float
    factors: list[FactorRow] = Field(description="Every model factor, largest first.")
    indicators: list[IndicatorRow] = Field(description="Indicators opened, updated or resolved.")
