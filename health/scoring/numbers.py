"""Rounding helpers shared by the scoring modules.

Python's ``round`` rounds half to even on the binary value (``round(62.25, 1) == 62.2``),
which surprises anyone checking a score by hand. Scores are rounded half-up on the decimal
representation instead, so hand-computed expectations hold.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_QUANTA = {digits: Decimal(1).scaleb(-digits) for digits in range(7)}


_SCALE = tuple(10**d for d in range(7))


def round_half_up(value: float, digits: int) -> float:
    """Round ``value`` to ``digits`` decimals, halves away from zero (62.25 -> 62.3)."""
    # Called ~40 times per account in a portfolio recompute, hence the terse fast path.
    fraction = (value * _SCALE[digits]) % 1.0
    if abs(fraction - 0.5) > 1e-6:
        # Not near a half: the built-in (correctly rounded) result is the same, and cheaper.
        return round(float(value), digits)
    quantum = _QUANTA.get(digits) or Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def allocate_rounded(values: list[float], total: float, digits: int = 2) -> list[float]:
    """Round ``values`` to ``digits`` decimals so that they add up exactly to ``total``.

    ``total`` must itself be representable with ``digits`` decimals (the rounded score).
    Largest-remainder method: round each value, then move the residual, one unit of the last
    digit at a time, onto the values whose rounding lost (or gained) the most. Values that
    are exactly 0 (measures with no weight) are never touched and no value goes below 0.
    """
    scale = 10**digits
    target = round(total * scale)
    raw = [v * scale for v in values]
    units = [round(r) for r in raw]
    diff = target - sum(units)
    if diff:
        step = 1 if diff > 0 else -1
        eligible = [i for i, v in enumerate(values) if v != 0]
        # Prefer the values whose rounding moved them furthest against the needed direction.
        eligible.sort(key=lambda i: step * (raw[i] - units[i]), reverse=True)
        while diff and eligible:
            moved = False
            for i in eligible:
                if step < 0 and units[i] <= 0:
                    continue
                units[i] += step
                diff -= step
                moved = True
                if not diff:
                    break
            if not moved:
                break
    return [u / scale for u in units]


def score_from_contributions(
    raw_contributions: list[float], *, any_weight: bool
) -> tuple[float | None, list[float]]:
    """The 1-decimal score and each measure's 2-decimal contribution, or no score when no
    measure carries weight.

    Contributions are allocated to the 2-decimal total, not the 1-decimal score: a
    1-decimal target would force visible distortions (a perfect 15-point group shown as
    14.99). They still sum to within 0.05 of the displayed score.
    """
    if not any_weight:
        return None, [0.0] * len(raw_contributions)
    total = min(100.0, max(0.0, sum(raw_contributions)))
    return round_half_up(total, 1), allocate_rounded(raw_contributions, round_half_up(total, 2), 2)
