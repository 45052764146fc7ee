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

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from health.scoring.bands import json_safe_input
from health.scoring.compiled_bands import ABSENT, Mapper
from health.scoring.compiled_json import measure_head, result_json
from health.scoring.definitions import Scorecard
from health.scoring.numbers import round_half_up, score_from_contributions
from health.scoring.overrides import Override, override_status
from health.scoring.result import MISSING_DROPPED, MISSING_FIXED, SCORED
from health.scoring.stored import STORED_SCHEMA

_MEMO_LIMIT = 10_000  # per measure; bounds memory (~2.5 MB each at most)


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
        self.measure_groups = [spec[1] for spec in self.measures]
        self.json_head = (
            f'{{"schema":"{STORED_SCHEMA}","scorecard":{{"key":{json.dumps(scorecard.key)},'
            f'"version":{int(scorecard.version)}}},"score":'
        )
        self._weight_cache: dict[tuple[str, ...], tuple] = {}

    def _weights(self, statuses: tuple[str, ...]) -> tuple:
        """Effective weights, coverage and confidence for one status pattern (which
        measures were scored, imputed or dropped): the same few patterns recur across a
        portfolio, so each is computed once."""
        cached = self._weight_cache.get(statuses)
        if cached is not None:
            return cached
        mask = [status != MISSING_DROPPED for status in statuses]
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
        coverage = round_half_up(
            sum(
                spec[5]
                for spec, status in zip(self.measures, statuses, strict=True)
                if status == SCORED
            ),
            4,
        )
        confidence = self.conf.level_for(coverage)
        cached = (
            active_total,
            group_eff,
            effs,
            [round_half_up(e, 4) for e in effs],
            [round_half_up(g, 4) for g in group_eff],
            coverage,
            confidence,
            [repr(round_half_up(e, 4)) for e in effs],
            [repr(round_half_up(g, 4)) for g in group_eff],
            f'","coverage":{coverage!r},"confidence":"{confidence}","measures":[',
        )
        if len(self._weight_cache) < 4096:
            self._weight_cache[statuses] = cached
        return cached

    def _measure_entry(self, raw: Any, mapper: Mapper, fixed: float | None) -> tuple:
        """(stored raw input, value, score, status, missing reason, score at 2 decimals,
        the entry's JSON up to its weight)."""
        value, score, reason = mapper.evaluate(raw)
        if reason is None:
            status = SCORED
        elif fixed is not None:
            status, score = MISSING_FIXED, fixed
        else:
            status = MISSING_DROPPED
        kind = type(raw)
        if kind is int or kind is str or (kind is float and value is not None):
            stored = raw  # already a JSON scalar (a finite float here)
        else:
            stored = None if raw is ABSENT else json_safe_input(raw)
        rounded = None if score is None else round_half_up(score, 2)
        entry = (stored, value, score, status, reason, rounded)
        return (*entry, measure_head(entry))

    def score(
        self,
        inputs: Mapping[str, Any],
        override: Override | None = None,
        at: datetime | None = None,
    ) -> FastResult:
        """Score one account; ``override`` is evaluated at ``at`` as ``apply_override`` does."""
        entries = []
        for input_key, _gi, _w, mapper, fixed, _conf, memo in self.measures:
            raw = inputs.get(input_key, ABSENT)
            kind = type(raw)
            # What a value turns into does not depend on the account and most values recur
            # across a portfolio, so each is evaluated once. Only JSON scalars are memoised
            # (a bool would collide with 0/1; 1 and 1.0 evaluate alike).
            if kind is float or kind is int or kind is str:
                entry = memo.get(raw)
                if entry is None:
                    entry = self._measure_entry(raw, mapper, fixed)
                    if len(memo) < _MEMO_LIMIT:
                        memo[raw] = entry
            else:
                entry = self._measure_entry(raw, mapper, fixed)
            entries.append(entry)
        weights = self._weights(tuple([e[3] for e in entries]))
        raw_contributions = [
            eff * e[2] if eff else 0.0 for e, eff in zip(entries, weights[2], strict=True)
        ]
        computed, contributions = score_from_contributions(
            raw_contributions, any_weight=weights[0] > 0
        )
        coverage, confidence = weights[5], weights[6]
        computed_band = self.bands.band_for(computed, coverage)
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
            self, entries, raw_contributions, contributions, weights, score, band, computed,
            computed_band, outcome,
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
