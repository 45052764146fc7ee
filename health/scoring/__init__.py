"""Pure health-scoring core: definitions, scoring, overrides, explanations, trend, churn, backtest.

No Django, no ORM, no I/O: services aggregate inputs with SQL, pass plain dicts in, and
store the JSON that ``to_dict()`` returns.
"""

from health.scoring.backtest import (
    LOST_OUTCOMES,
    OUTCOMES,
    BacktestRow,
    BacktestSummary,
    auc,
    backtest_summary,
)
from health.scoring.bands import BandHit, CategoricalBands, LinearBands, StepBands
from health.scoring.churn import (
    FEATURE_KEYS,
    FEATURES,
    MODEL_VERSION,
    ChurnPrediction,
    FactorContribution,
    churn_risk_predict,
    risk_level_for,
)
from health.scoring.default_scorecard import (
    default_input_specs,
    default_scorecard,
    default_scorecard_dict,
    renewal_proximity_measure,
)
from health.scoring.definitions import (
    DEFAULT_MIN_COVERAGE,
    DROP,
    HEALTH_BANDS,
    INSUFFICIENT_BAND,
    UNKNOWN_BAND,
    ConfidenceThresholds,
    Group,
    Measure,
    MissingPolicy,
    ScoreBands,
    Scorecard,
    fixed,
)
from health.scoring.engine import score_inputs
from health.scoring.explain import Explanation, MeasureChange, explain_change
from health.scoring.overrides import Override, apply_override, override_status
from health.scoring.result import (
    MISSING_DROPPED,
    MISSING_FIXED,
    RESULT_SCHEMA,
    SCORED,
    GroupResult,
    MeasureResult,
    OverrideOutcome,
    ScoreResult,
)
from health.scoring.trend import Trend, TrendWindow, direction_label, score_trend
from health.scoring.validation import (
    ScorecardValidationError,
    ValidationIssue,
    validate_scorecard,
)

__all__ = [
    "DEFAULT_MIN_COVERAGE",
    "DROP",
    "FEATURES",
    "FEATURE_KEYS",
    "HEALTH_BANDS",
    "INSUFFICIENT_BAND",
    "LOST_OUTCOMES",
    "MISSING_DROPPED",
    "MISSING_FIXED",
    "MODEL_VERSION",
    "OUTCOMES",
    "RESULT_SCHEMA",
    "SCORED",
    "UNKNOWN_BAND",
    "BacktestRow",
    "BacktestSummary",
    "BandHit",
    "CategoricalBands",
    "ChurnPrediction",
    "ConfidenceThresholds",
    "Explanation",
    "FactorContribution",
    "Group",
    "GroupResult",
    "LinearBands",
    "Measure",
    "MeasureChange",
    "MeasureResult",
    "MissingPolicy",
    "Override",
    "OverrideOutcome",
    "ScoreBands",
    "ScoreResult",
    "Scorecard",
    "ScorecardValidationError",
    "StepBands",
    "Trend",
    "TrendWindow",
    "ValidationIssue",
    "apply_override",
    "auc",
    "backtest_summary",
    "churn_risk_predict",
    "default_input_specs",
    "default_scorecard",
    "default_scorecard_dict",
    "direction_label",
    "explain_change",
    "fixed",
    "override_status",
    "renewal_proximity_measure",
    "risk_level_for",
    "score_inputs",
    "score_trend",
    "validate_scorecard",
]
