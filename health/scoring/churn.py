"""A transparent churn-risk model: logistic regression over standardised features.

``churn-logit-v2`` is an *expert-set prior*, not a fitted model: the coefficients encode the
direction and rough strength CS teams observe, on a log-odds-per-standard-deviation scale so
their sizes are comparable. Its probabilities are mapped onto observed renewal outcomes by a
stored calibration (``health.scoring.calibration``: Platt scaling of the logit) when enough
outcomes exist; without one the probability is the prior's and says so.

v2 drops v1's ``days_to_renewal``: renewal proximity is urgency (``health.scoring.urgency``),
which risk lists multiply in beside the probability; as a feature as well it counted twice.

    z_i     = clamp((x_i - mean_i) / std_i, -3, 3)     # clamped so one outlier cannot dominate
    logit   = intercept + Σ coefficient_i × z_i
    p       = 1 / (1 + e^-logit)

A missing feature contributes 0 log-odds, which is the same as assuming the account sits at
the reference mean for it. That assumption is stated in the output (``missing_features``,
``note``) and lowers ``coverage`` = Σ|coef| of present features / Σ|coef| of all features.
With no feature at all there is no prediction (probability None, risk ``unknown``).

Note that ``health_score`` already summarises some of the other signals; the other
coefficients are kept small so that the overlap does not double-count them much.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from health.scoring.bands import coerce_numeric, normalise_category
from health.scoring.numbers import round_half_up
from health.scoring.platt import PlattScaling, sigmoid

MODEL_VERSION = "churn-logit-v2"
# logit(0.10) ≈ -2.197: an account at the reference mean on every feature has a ~10 %
# probability of churning at its next renewal, a typical B2B SaaS annual logo churn rate.
INTERCEPT = -2.2
Z_CLIP = 3.0
PAYMENT_CODES = {"current": 0.0, "late": 1.0, "delinquent": 2.0}

# Cut-offs on probability. Relative to the ~10 % baseline: below 1.5× baseline is "low",
# up to 3× is "medium", up to a coin flip is "high", a coin flip or worse is "critical".
RISK_LEVELS = ((0.15, "low"), (0.30, "medium"), (0.50, "high"))


@dataclass(frozen=True)
class FeatureSpec:
    key: str
    label: str
    mean: float
    std: float
    coefficient: float
    why: str  # why the feature moves risk, sign-free: the reason line adds the direction
    cap: tuple[float, float] | None = None
    typical: str | None = None  # the reference value in words, when not the mean itself


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec(
        "health_score",
        "Health score (0-100)",
        65.0,
        18.0,
        -0.8,
        "the health score summarises usage, sentiment and support; healthier accounts renew",
    ),
    FeatureSpec(
        "usage_trend_pct",
        "Usage trend (%, 30d vs prior 30d)",
        0.0,
        25.0,
        -0.5,
        "shrinking usage precedes churn by months; growth means value",
    ),
    FeatureSpec(
        "open_high_severity_tickets",
        "Open high-severity tickets",
        0.3,
        0.8,
        0.4,
        "unresolved blockers (outages, broken workflows) push customers to alternatives",
    ),
    FeatureSpec(
        "nps_answer_avg_180d",
        "NPS answer mean (0-10, 180d)",
        7.5,
        1.8,
        -0.45,
        "detractors (answers 0-6) churn more than promoters (9-10)",
    ),
    FeatureSpec(
        "days_since_last_activity",
        "Days since last activity",
        10.0,
        15.0,
        0.4,
        "silence (no usage, no touchpoint) is how disengagement looks",
    ),
    FeatureSpec(
        "payment_status",
        "Payment status (current/late/delinquent)",
        0.15,
        0.45,
        0.5,
        "late and delinquent invoices signal budget loss or intent to leave",
        typical="current",
    ),
)
FEATURE_KEYS = tuple(f.key for f in FEATURES)
_SPEC_BY_KEY = {f.key: f for f in FEATURES}
EFFECT_WORDS = {
    "raises_risk": "raises risk",
    "lowers_risk": "lowers risk",
    "neutral": "no effect",
    "missing": "no data",
}


def _value_text(value: object) -> str:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{round_half_up(float(value), 1):g}"
    return str(value)


def factor_reason(key: str, effect: str, value: object, missing_reason: str | None = None) -> str:
    """One line a CSM can read, whose first words are the factor's effect:
    ``raises risk: Usage trend (%, 30d vs prior 30d) is -40 (typical 0); shrinking usage
    precedes churn by months, growth means value``. A missing factor says it is assumed
    typical (0 log-odds)."""
    spec = _SPEC_BY_KEY.get(key)
    if spec is None:
        return f"{EFFECT_WORDS.get(effect, effect)}: {key}"
    typical = spec.typical or _value_text(spec.mean)
    if effect == "missing":
        return (
            f"no data: {spec.label} ({missing_reason or 'absent'}); assumed typical "
            f"({typical}), so it does not move the risk"
        )
    return (
        f"{EFFECT_WORDS[effect]}: {spec.label} is {_value_text(value)} (typical {typical}); "
        f"{spec.why}"
    )


@dataclass(frozen=True)
class FactorContribution:
    """One feature's part: ``log_odds`` = coefficient × z; ``share`` = |log_odds| / Σ|log_odds|."""

    key: str
    label: str
    status: str  # present | missing
    value: float | str | None
    z: float | None
    coefficient: float
    log_odds: float
    share: float
    effect: str  # raises_risk | lowers_risk | neutral | missing
    why: str
    missing_reason: str | None = None


@dataclass(frozen=True)
class ChurnPrediction:
    """A prediction; ``factors`` are sorted by |log_odds| (missing ones last)."""

    model_version: str
    probability: float | None  # calibrated when ``calibration_version`` is set
    risk_level: str
    logit: float | None  # the model's own log-odds (factors add up to it)
    intercept: float
    coverage: float
    factors: tuple[FactorContribution, ...]
    missing_features: tuple[str, ...]
    note: str
    raw_probability: float | None = None  # sigmoid(logit): the uncalibrated prior
    calibration_version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["factors"] = [asdict(f) for f in self.factors]
        data["missing_features"] = list(self.missing_features)
        return data


def risk_level_for(probability: float | None) -> str:
    """``low`` < 0.15 <= ``medium`` < 0.30 <= ``high`` < 0.50 <= ``critical``."""
    if probability is None:
        return "unknown"
    for upper, level in RISK_LEVELS:
        if probability < upper:
            return level
    return "critical"


def _feature_value(spec: FeatureSpec, raw: object) -> tuple[float | None, str | None]:
    if spec.key == "payment_status" and isinstance(raw, str):
        code = PAYMENT_CODES.get(normalise_category(raw))
        return (code, None) if code is not None else (None, "unrecognised")
    value, reason = coerce_numeric(raw)
    if value is not None and spec.key == "payment_status" and value not in PAYMENT_CODES.values():
        return None, "invalid"
    return value, reason


def calibrated_probability(
    raw_logit: float, calibration: PlattScaling | None
) -> tuple[float, float]:
    """(probability, raw probability), both rounded to 4 places: the calibration applies to
    the unrounded logit, as in the compiled path."""
    raw = round_half_up(sigmoid(raw_logit), 4)
    if calibration is None:
        return raw, raw
    return round_half_up(calibration.apply(raw_logit), 4), raw


def churn_risk_predict(
    features: Mapping[str, float | str | None], calibration: PlattScaling | None = None
) -> ChurnPrediction:
    """Predict churn risk from ``features`` keyed by ``FEATURE_KEYS``; with a
    ``calibration``, ``probability`` (and the risk level) are the calibrated ones.

    Values are numbers except ``payment_status``, which takes ``current``/``late``/
    ``delinquent`` (or their codes 0/1/2). Absent, None, invalid or unrecognised values are
    missing: listed in ``missing_features``, 0 log-odds, and lower ``coverage``.
    """
    total_weight = sum(abs(f.coefficient) for f in FEATURES)
    present_weight = 0.0
    rows: list[dict[str, Any]] = []
    for spec in FEATURES:
        raw = features.get(spec.key)
        value, reason = _feature_value(spec, raw) if spec.key in features else (None, "absent")
        if value is None:
            rows.append(
                {
                    "spec": spec,
                    "value": raw if isinstance(raw, str) else None,
                    "z": None,
                    "lo": 0.0,
                    "reason": reason,
                }
            )
            continue
        present_weight += abs(spec.coefficient)
        if spec.cap is not None:
            value = min(max(value, spec.cap[0]), spec.cap[1])
        z = max(-Z_CLIP, min(Z_CLIP, (value - spec.mean) / spec.std))
        shown: float | str = raw if isinstance(raw, str) else value
        rows.append(
            {"spec": spec, "value": shown, "z": z, "lo": spec.coefficient * z, "reason": None}
        )

    abs_total = sum(abs(r["lo"]) for r in rows)
    factors = []
    for r in rows:
        spec, lo = r["spec"], r["lo"]
        if r["z"] is None:
            effect = "missing"
        else:
            effect = "raises_risk" if lo > 0 else "lowers_risk" if lo < 0 else "neutral"
        factors.append(
            FactorContribution(
                key=spec.key,
                label=spec.label,
                status="missing" if r["z"] is None else "present",
                value=r["value"],
                z=None if r["z"] is None else round_half_up(r["z"], 4),
                coefficient=spec.coefficient,
                log_odds=round_half_up(lo, 4),
                share=round_half_up(abs(lo) / abs_total, 4) if abs_total else 0.0,
                effect=effect,
                why=factor_reason(spec.key, effect, r["value"], r["reason"]),
                missing_reason=r["reason"],
            )
        )
    factors.sort(key=lambda f: (f.status == "missing", -abs(f.log_odds), f.key))
    missing = tuple(f.key for f in factors if f.status == "missing")
    coverage = round_half_up(present_weight / total_weight, 4)

    raw_probability = None
    if present_weight == 0:
        probability = logit = None
        note = "No feature was available: no prediction is made (a bare baseline is not one)."
    else:
        raw_logit = INTERCEPT + sum(r["lo"] for r in rows)
        logit = round_half_up(raw_logit, 4)
        probability, raw_probability = calibrated_probability(raw_logit, calibration)
        note = (
            f"Missing features ({', '.join(missing)}) contribute 0 log-odds, i.e. they are "
            f"assumed to be at the reference mean; coverage {coverage:.2f} reflects this."
            if missing
            else "All features present."
        )
        note += (
            f" Probability calibrated on outcomes ({calibration.describe()}); the model's "
            f"own was {raw_probability}."
            if calibration is not None
            else " Uncalibrated: the probability is the expert-set prior's, not fitted to outcomes."
        )
    return ChurnPrediction(
        model_version=MODEL_VERSION,
        probability=probability,
        risk_level=risk_level_for(probability),
        logit=logit,
        intercept=INTERCEPT,
        coverage=coverage,
        factors=tuple(factors),
        missing_features=missing,
        note=note,
        raw_probability=raw_probability,
        calibration_version=(
            calibration.version if calibration is not None and logit is not None else None
        ),
    )
