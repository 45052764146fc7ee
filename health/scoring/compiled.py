"""A fast path for scoring a whole portfolio: the scorecard precompiled into plain tuples.

``score_inputs`` builds dataclasses and formats band labels for every account (~110 µs),
and ``json.dumps`` of its ``to_dict()`` costs as much again; at 100,000 accounts that alone
would take half a minute. ``CompiledScorecard`` does the same arithmetic, in the same order,
with the same rounding helpers, over tuples prepared once per scorecard, and writes the
result's stored JSON text (``health.scoring.stored``) directly.

Contract: ``result_expand(json.loads(compiled.score(inputs, override, at).result_json),
card)`` equals ``apply_override(score_inputs(card, inputs), override, at).to_dict()`` for
every input
(tested against the reference engine, including property-based inputs). The reference
engine stays the definition; this module only has to agree with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from health.scoring.bands import json_safe_input
from health.scoring.compiled_bands import ABSENT, Mapper
from health.scoring.definitions import Scorecard
from health.scoring.numbers import round_half_up, score_from_contributions
from health.scoring.overrides import Override, override_status
from health.scoring.result import MISSING_DROPPED, MISSING_FIXED, SCORED
from health.scoring.stored import STORED_SCHEMA

_MEMO_LIMIT = 50_000


@dataclass(frozen=True)
class FastResult:
    """What the writer needs besides the JSON text (same values as the ScoreResult)."""

    score: float | None
    band: str
    computed_score: float | None
    computed_band: str
    coverage: float
    confidence: str
    override_id: Any
    override_applied: bool
    result_json: str


class CompiledScorecard:
    """``scorecard`` prepared for scoring many accounts; see the module docstring."""

    def __init__(self, scorecard: Scorecard) -> None:
        self.scorecard = scorecard
        configured = scorecard.configured_weights()
        self.group_keys = [g.key for g in scorecard.groups]
        self.group_weights = [g.weight for g in scorecard.groups]
        self.measures = []
        for gi, group in enumerate(scorecard.groups):
            for m in group.measures:
                fixed = m.missing.score if m.missing.policy == "fixed" else None
                self.measures.append(
                    (m.input_key, gi, m.weight, Mapper(m.bands), fixed, configured[m.key], {})
                )
        self.bands = scorecard.score_bands
        self.conf = scorecard.confidence
        self.stored_schema = STORED_SCHEMA
        self.scorecard_ref = {"key": scorecard.key, "version": scorecard.version}
        self._weight_cache: dict[tuple[bool, ...], tuple] = {}

    def _weights(self, mask: tuple[bool, ...]) -> tuple:
        """Effective weights for one presence pattern (which measures have data): the same
        few patterns recur across a portfolio, so they are computed once each."""
        cached = self._weight_cache.get(mask)
        if cached is not None:
            return cached
        n_groups = len(self.group_weights)
        present = [0.0] * n_groups
        for spec, here in zip(self.measures, mask, strict=True):
            if here:
                present[spec[1]] += spec[2]
        active_total = sum(w for gi, w in enumerate(self.group_weights) if present[gi] > 0)
        group_eff = [
            (w / active_total if active_total and present[gi] > 0 else 0.0)
            for gi, w in enumerate(self.group_weights)
        ]
        effs = [
            (group_eff[spec[1]] * spec[2] / present[spec[1]])
            if here and present[spec[1]] > 0
            else 0.0
            for spec, here in zip(self.measures, mask, strict=True)
        ]
        cached = (
            active_total,
            group_eff,
            effs,
            [round_half_up(e, 4) for e in effs],
            [round_half_up(g, 4) for g in group_eff],
        )
        if len(self._weight_cache) < 4096:
            self._weight_cache[mask] = cached
        return cached

    def score(
        self,
        inputs: Mapping[str, Any],
        override: Override | None = None,
        at: datetime | None = None,
    ) -> FastResult:
        """Score one account; ``override`` is evaluated at ``at`` as ``apply_override`` does."""
        from health.scoring.compiled_json import result_json

        rows = []
        mask = []
        for input_key, _gi, _w, mapper, fixed, _conf, memo in self.measures:
            raw = inputs.get(input_key, ABSENT)
            kind = type(raw)
            # A value's band does not depend on the account and most values recur across a
            # portfolio, so each is evaluated once. Only JSON scalars (a bool would collide
            # with 0/1; 1 and 1.0 evaluate alike).
            if kind is float or kind is int or kind is str:
                hit = memo.get(raw)
                if hit is None:
                    hit = mapper.evaluate(raw)
                    if len(memo) < _MEMO_LIMIT:
                        memo[raw] = hit
                value, score, band, reason = hit
            else:
                value, score, band, reason = mapper.evaluate(raw)
            if reason is None:
                status = SCORED
            elif fixed is not None:
                status, score = MISSING_FIXED, fixed
            else:
                status = MISSING_DROPPED
            mask.append(status != MISSING_DROPPED)
            if type(raw) is int or type(raw) is str or (type(raw) is float and value is not None):
                stored = raw  # already a JSON scalar (a finite float here)
            else:
                stored = None if raw is ABSENT else json_safe_input(raw)
            rows.append([stored, value, score, band, status, reason, 0.0])
        weights = self._weights(tuple(mask))
        active_total, effs = weights[0], weights[2]
        for row, eff in zip(rows, effs, strict=True):
            row[6] = eff
        raw_contributions = [row[6] * row[2] if row[6] else 0.0 for row in rows]
        computed, contributions = score_from_contributions(
            raw_contributions, any_weight=active_total > 0
        )
        present_configured = sum(
            spec[5] for row, spec in zip(rows, self.measures, strict=True) if row[4] == SCORED
        )
        coverage = round_half_up(present_configured, 4)
        computed_band = self.bands.band_for(computed)
        confidence = self.conf.level_for(coverage)
        outcome = None
        score, band = computed, computed_band
        if override is not None:
            status = override_status(override, at)
            o_score = round_half_up(float(override.score), 1)
            outcome = {
                "status": status,
                "applied": status == "active",
                "score": o_score,
                "band": self.bands.band_for(o_score),
                "reason": str(override.reason),
                "author": str(override.author),
                "expires_at": override.expires_at.isoformat() if override.expires_at else None,
                "created_at": override.created_at.isoformat() if override.created_at else None,
                "override_id": override.override_id,
                "evaluated_at": at.isoformat(),
            }
            if outcome["applied"]:
                score, band = o_score, outcome["band"]
        text = result_json(
            self, rows, contributions, weights, score, band, computed, computed_band,
            coverage, confidence, outcome,
        )  # fmt: skip
        return FastResult(
            score=score,
            band=band,
            computed_score=computed,
            computed_band=computed_band,
            coverage=coverage,
            confidence=confidence,
            override_id=override.override_id if outcome and outcome["applied"] else None,
            override_applied=bool(outcome and outcome["applied"]),
            result_json=text,
        )
