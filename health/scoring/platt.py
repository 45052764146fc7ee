"""Platt scaling: mapping the churn model's log-odds onto observed renewal outcomes.

The churn model's coefficients are an expert-set prior; its probabilities are only as
good as that guess. Platt scaling fits two numbers on recorded outcomes,

    p_calibrated = 1 / (1 + e^-(slope × logit + intercept)),

by maximum likelihood (Newton's method with a backtracking line search, Lin, Lin & Weng
2007; near the optimum, where the loss is flat to rounding, a full step is kept while it
shrinks the gradient), against Platt's smoothed targets: a churned renewal counts
(N+ + 1) / (N+ + 2) instead of 1 and a retained one 1 / (N- + 2) instead of 0, so that a
handful of outcomes cannot push a probability to 0 or 1 (and separable data still has a
finite fit).

The fit refuses, with a reason, rather than inventing: fewer than ``MIN_OUTCOMES``
outcomes or fewer than ``MIN_PER_CLASS`` of either class; every renewal at the same logit
(nothing to scale); or a slope that is not positive (on these outcomes a higher model risk
did not mean more churn, so scaling it would turn the model upside down).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

MIN_OUTCOMES = 30
MIN_PER_CLASS = 5
METHOD = "platt"
_MAX_ITERATIONS = 100
_RIDGE = 1e-12  # keeps the Hessian invertible; far too small to move a fit


@dataclass(frozen=True)
class PlattScaling:
    """A fitted calibration as applied: ``version`` numbers the stored fits of a model."""

    slope: float
    intercept: float
    version: int | None = None
    fitted_at: str | None = None  # ISO date-time of the fit
    outcomes: int = 0

    def apply(self, logit: float) -> float:
        return sigmoid(self.slope * logit + self.intercept)

    def describe(self) -> str:
        return (
            f"Platt scaling v{self.version} fitted {self.fitted_at or 'at an unknown time'} "
            f"on {self.outcomes} renewal outcomes: p = 1/(1+e^-({self.slope:.4g} x logit "
            f"{self.intercept:+.4g}))"
        )


@dataclass(frozen=True)
class PlattFit:
    """The result of ``platt_fit``: ``status`` ``calibrated`` with slope and intercept, or
    ``uncalibrated`` with the ``reason`` and no numbers."""

    status: str
    slope: float | None
    intercept: float | None
    outcomes: int
    churned: int
    reason: str
    iterations: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _softplus(z: float) -> float:
    """log(1 + e^z) without overflow."""
    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


def _loss(xs: Sequence[float], ts: Sequence[float], a: float, b: float) -> float:
    # Cross-entropy of sigmoid(a x + b) against targets t: Σ log(1 + e^z) - t z.
    return sum(_softplus(a * x + b) - t * (a * x + b) for x, t in zip(xs, ts, strict=True))


def _refusal(n: int, churned: int, reason: str) -> PlattFit:
    return PlattFit("uncalibrated", None, None, n, churned, reason)


def platt_fit(
    logits: Sequence[float], churned: Sequence[bool], *, min_outcomes: int = MIN_OUTCOMES,
    min_per_class: int = MIN_PER_CLASS,
) -> PlattFit:  # fmt: skip
    """Fit slope and intercept of ``sigmoid(slope × logit + intercept)`` to the outcomes."""
    if len(logits) != len(churned):
        raise ValueError("logits and outcomes differ in length")
    n = len(logits)
    positives = sum(1 for c in churned if c)
    negatives = n - positives
    if n < min_outcomes:
        return _refusal(n, positives, f"{n} renewal outcomes; at least {min_outcomes} needed")
    if min(positives, negatives) < max(min_per_class, 1):
        return _refusal(
            n, positives,
            f"{positives} churned and {negatives} retained; at least "
            f"{max(min_per_class, 1)} of each needed",
        )  # fmt: skip
    xs = [float(x) for x in logits]
    if max(xs) - min(xs) < 1e-9:
        return _refusal(n, positives, "every renewal had the same model logit: nothing to scale")
    hi, lo = (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0)
    ts = [hi if c else lo for c in churned]
    a, b = 0.0, math.log((positives + 1.0) / (negatives + 1.0))
    loss = _loss(xs, ts, a, b)
    iterations = 0
    # Where a full step was taken without a measurable descent: (a, b, gradient size).
    unmeasured: tuple[float, float, float] | None = None
    for iterations in range(1, _MAX_ITERATIONS + 1):  # noqa: B007 (reported)
        g_a = g_b = h_aa = h_ab = h_bb = 0.0
        for x, t in zip(xs, ts, strict=True):
            p = sigmoid(a * x + b)
            w = p * (1.0 - p)
            g_a += (p - t) * x
            g_b += p - t
            h_aa += w * x * x
            h_ab += w * x
            h_bb += w
        h_aa += _RIDGE
        h_bb += _RIDGE
        if unmeasured is not None:
            if abs(g_a) + abs(g_b) >= unmeasured[2]:  # the step did not help: undo, stop
                a, b = unmeasured[0], unmeasured[1]
                break
            unmeasured = None
        if abs(g_a) < 1e-10 and abs(g_b) < 1e-10:
            break
        det = h_aa * h_bb - h_ab * h_ab
        step_a = -(h_bb * g_a - h_ab * g_b) / det
        step_b = -(-h_ab * g_a + h_aa * g_b) / det
        directional = g_a * step_a + g_b * step_b
        step = 1.0
        while step >= 1e-10:
            new_a, new_b = a + step * step_a, b + step * step_b
            new_loss = _loss(xs, ts, new_a, new_b)
            if new_loss < loss + 1e-4 * step * directional:
                break
            step /= 2.0
        else:
            # The loss no longer resolves the decrease (it is flat to rounding) while the
            # gradient can still be ~1e-6. Near the optimum Newton's full step converges on
            # its own: take it, and keep it only if it shrinks the gradient.
            if iterations == _MAX_ITERATIONS:
                break  # no iteration left to check it
            unmeasured = (a, b, abs(g_a) + abs(g_b))
            a, b = a + step_a, b + step_b
            loss = _loss(xs, ts, a, b)
            continue
        a, b, loss = new_a, new_b, new_loss
    if a <= 0:
        return _refusal(
            n, positives,
            f"fitted slope {a:.4g} is not positive: on these outcomes a higher model risk did "
            "not mean more churn",
        )  # fmt: skip
    return PlattFit("calibrated", a, b, n, positives, "", iterations)


def cross_validated_probabilities(
    logits: Sequence[float], churned: Sequence[bool], folds: int = 5
) -> tuple[list[float | None], list[PlattFit]]:
    """Out-of-fold calibrated probabilities: row i's comes from a fit on the other folds.

    Rows are dealt to folds in turn after sorting by outcome (stratified: each fold gets
    its share of churned renewals) and then by their position in the input (the caller
    passes them in renewal-date order), so the split is deterministic. A fold whose training
    part cannot be fitted (see ``platt_fit``) leaves its rows None.
    """
    n = len(logits)
    order = sorted(range(n), key=lambda i: (bool(churned[i]), i))
    fold_of = [0] * n
    for position, i in enumerate(order):
        fold_of[i] = position % folds
    out: list[float | None] = [None] * n
    fits = []
    for k in range(folds):
        train = [i for i in range(n) if fold_of[i] != k]
        fit = platt_fit([logits[i] for i in train], [churned[i] for i in train])
        fits.append(fit)
        if fit.status != "calibrated":
            continue
        for i in range(n):
            if fold_of[i] == k:
                out[i] = sigmoid(fit.slope * logits[i] + fit.intercept)
    return out, fits
