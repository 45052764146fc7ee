"""Why did the score change? Compare two stored results (``ScoreResult.to_dict()`` output).

Like with like: the change is explained over the measures scored at *both* dates. Those
measures are weighted as the engine would weight that set (group weights re-normalised over
the groups present, measure weights within each group), and each one's ``like_delta`` is
its weight × its score change: they add up to ``comparable_delta``. A measure newly
measured or no longer measured moved the raw score through coverage, not through a change
at the customer: it is named apart (``newly_measured``, ``no_longer_measured``) and never
listed as a driver.

Works on the stored dicts only, so it can compare snapshots months apart and across
scorecard versions (measures are matched by ``key``). The contributions of each result add
up to its computed score (at two decimals), so the contribution deltas account for the whole
change; ``rounding_residual`` (computed delta minus the sum of contribution deltas, at most
0.1 from showing scores with one decimal) makes the leftover visible instead of hiding it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from health.scoring.numbers import round_half_up

MINUS = "\u2212"  # a real minus sign reads better than a hyphen in "−9.0 points"


def fmt_points(delta: float) -> str:
    """``+1.3`` / ``−9.0`` / ``0.0`` (one decimal, explicit sign)."""
    value = round_half_up(delta, 1)
    if value > 0:
        return f"+{value:.1f}"
    if value < 0:
        return f"{MINUS}{-value:.1f}"
    return "0.0"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def fmt_input(value: object, unit: str) -> str:
    """Render a raw input for a sentence: ``+5.0%``, ``45%`` (a share), ``12 days``, ``late``."""
    if value is None:
        return "missing"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if unit == "%":
        return f"{value:+.1f}%"
    if unit == "share":
        return f"{_num(value * 100)}%"
    if unit in ("", "count") or unit[:1].isdigit():
        return _num(value)
    return f"{_num(value)} {unit}"


def _fmt_score(score: float | None) -> str:
    return "—" if score is None else _num(round_half_up(score, 1))


MISSING_WORDS = {
    "absent": "no data",
    "null": "no data",
    "invalid": "invalid value",
    "unrecognised": "unrecognised value",
}


@dataclass(frozen=True)
class MeasureChange:
    """One measure's part in the change.

    ``change`` is one of: ``input_changed``, ``weight_changed`` (same input, other data moved
    its effective weight), ``scoring_changed`` (same input, a new scorecard version scores it
    differently), ``became_missing``, ``became_present``, ``still_missing``,
    ``added_to_scorecard``, ``removed_from_scorecard``, ``unchanged``.
    """

    key: str
    label: str
    change: str
    input_before: Any
    input_after: Any
    score_before: float | None
    score_after: float | None
    status_before: str | None
    status_after: str | None
    weight_before: float
    weight_after: float
    contribution_before: float
    contribution_after: float
    contribution_delta: float
    reason: str
    like_delta: float | None = None  # points on the like-with-like basis; None: not in it


@dataclass(frozen=True)
class Explanation:
    """The explanation of a change; ``to_dict()`` is JSON-ready. Measures are ranked by
    ``|contribution_delta|`` (largest first). ``score_*`` are displayed scores (overrides
    included); ``computed_*`` are what the data says."""

    score_before: float | None
    score_after: float | None
    score_delta: float | None
    computed_score_before: float | None
    computed_score_after: float | None
    computed_delta: float | None
    band_before: str
    band_after: str
    coverage_before: float
    coverage_after: float
    coverage_delta: float
    confidence_before: str
    confidence_after: str
    scorecard_before: dict[str, Any]
    scorecard_after: dict[str, Any]
    scorecard_changed: bool
    override_change: dict[str, Any]
    measures: list[MeasureChange]
    appeared: list[str]
    disappeared: list[str]
    rounding_residual: float | None
    summary: str
    comparable_measures: list[str] = field(default_factory=list)
    comparable_before: float | None = None
    comparable_after: float | None = None
    comparable_delta: float | None = None
    newly_measured: list[str] = field(default_factory=list)
    no_longer_measured: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _delta(after: float | None, before: float | None, digits: int) -> float | None:
    if after is None or before is None:
        return None
    return round_half_up(after - before, digits)


def _measure_change(
    key: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, version: Any
) -> MeasureChange:
    b, a = before or {}, after or {}
    label = a.get("label") or b.get("label") or key
    unit = a.get("unit", b.get("unit", ""))
    c_before, c_after = float(b.get("contribution") or 0), float(a.get("contribution") or 0)
    delta = round_half_up(c_after - c_before, 2)
    in_b, in_a = b.get("raw_input"), a.get("raw_input")
    s_b, s_a = b.get("score"), a.get("score")
    present_b, present_a = b.get("status") == "scored", a.get("status") == "scored"
    pts = f"{fmt_points(delta)} points"
    if before is None:
        change = "added_to_scorecard"
        reason = (
            f"{label} was added to the scorecard (v{version}): measure {_fmt_score(s_a)}, {pts}"
        )
    elif after is None:
        change = "removed_from_scorecard"
        reason = f"{label} is no longer in the scorecard (v{version}): {pts}"
    elif present_b and not present_a:
        change = "became_missing"
        what = (
            f"scored as imputed {_fmt_score(s_a)}"
            if a.get("status") == "missing_fixed"
            else "dropped, its weight went to the other measures"
        )
        why = MISSING_WORDS.get(a.get("missing_reason") or "", "no data")
        reason = f"{label} is now missing ({why}; was {fmt_input(in_b, unit)}): {what}, {pts}"
    elif present_a and not present_b:
        change = "became_present"
        reason = (
            f"{label} is now available ({fmt_input(in_a, unit)}, was missing): "
            f"measure {_fmt_score(s_a)}, {pts}"
        )
    elif not present_a:
        change = "still_missing" if delta == 0 else "weight_changed"
        reason = f"{label} is still missing" + (f": {pts}" if delta else "")
    elif in_a != in_b:
        change = "input_changed"
        verb = "changed"
        if isinstance(in_a, int | float) and isinstance(in_b, int | float):
            verb = "fell" if in_a < in_b else "rose"
        reason = (
            f"{label} {verb} from {fmt_input(in_b, unit)} to {fmt_input(in_a, unit)}: "
            f"measure {_fmt_score(s_b)} \u2192 {_fmt_score(s_a)}, {pts}"
        )
    elif s_a != s_b:
        change = "scoring_changed"
        reason = (
            f"{label} unchanged at {fmt_input(in_a, unit)} but the scorecard now scores it "
            f"{_fmt_score(s_b)} \u2192 {_fmt_score(s_a)}: {pts}"
        )
    elif float(b.get("effective_weight") or 0) != float(a.get("effective_weight") or 0):
        change = "weight_changed"
        w_b, w_a = float(b.get("effective_weight") or 0), float(a.get("effective_weight") or 0)
        reason = (
            f"{label} unchanged at {fmt_input(in_a, unit)} but its weight moved "
            f"{_num(w_b * 100)}% \u2192 {_num(w_a * 100)}% as other data changed: {pts}"
        )
    else:
        # Same input, score and weight: any delta is the 0.01-point rounding allocation.
        change = "unchanged"
        reason = f"{label} unchanged at {fmt_input(in_a, unit)}"
    return MeasureChange(
        key=key,
        label=label,
        change=change,
        input_before=in_b,
        input_after=in_a,
        score_before=s_b,
        score_after=s_a,
        status_before=b.get("status"),
        status_after=a.get("status"),
        weight_before=float(b.get("effective_weight") or 0),
        weight_after=float(a.get("effective_weight") or 0),
        contribution_before=c_before,
        contribution_after=c_after,
        contribution_delta=delta,
        reason=reason,
    )


def _override_change(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> dict[str, Any]:
    applied_b = bool(before and before.get("applied"))
    applied_a = bool(after and after.get("applied"))
    if not applied_b and not applied_a:
        kind = "none"
    elif applied_a and not applied_b:
        kind = "added"
    elif applied_b and not applied_a:
        kind = after.get("status", "removed") if after else "removed"
    else:
        same = all(before.get(f) == after.get(f) for f in ("score", "reason", "override_id"))
        kind = "unchanged" if same else "changed"
    return {
        "kind": kind,
        "before": dict(before) if before else None,
        "after": dict(after) if after else None,
    }


def explain_change(previous: Mapping[str, Any], current: Mapping[str, Any]) -> Explanation:
    """Explain the change from ``previous`` to ``current`` (both ``ScoreResult.to_dict()``).

    Returns the overall and computed deltas (None when either side had no score), band and
    coverage changes, scorecard version change, override change, and every measure of
    either result ranked by absolute contribution delta with a one-line reason, e.g.
    ``"Usage trend fell from +5.0% to -32.0%: measure 80 → 20, −9.0 points"``.
    """
    prev_m = {m["key"]: m for m in previous.get("measures", [])}
    curr_m = {m["key"]: m for m in current.get("measures", [])}
    sc_b = dict(previous.get("scorecard") or {})
    sc_a = dict(current.get("scorecard") or {})
    keys = list(dict.fromkeys([*curr_m, *prev_m]))
    like = _like_weights(prev_m, curr_m)
    changes = []
    for k in keys:
        c = _measure_change(k, prev_m.get(k), curr_m.get(k), sc_a.get("version"))
        if k in like:
            moved = like[k] * (float(curr_m[k]["score"]) - float(prev_m[k]["score"]))
            c = replace(c, like_delta=round_half_up(moved, 2))
        changes.append(c)
    # Drivers first (measured at both dates, by their like-with-like points), then the
    # rest by how much they moved the raw score.
    changes.sort(
        key=lambda c: (
            c.like_delta is None,
            -abs(c.like_delta if c.like_delta is not None else c.contribution_delta),
            c.key,
        )
    )
    comparable_before = comparable_after = None
    if like:
        comparable_before = round_half_up(
            sum(w * float(prev_m[k]["score"]) for k, w in like.items()), 1
        )
        comparable_after = round_half_up(
            sum(w * float(curr_m[k]["score"]) for k, w in like.items()), 1
        )
    appeared = [c.key for c in changes if c.change in ("became_present", "added_to_scorecard")]
    disappeared = [
        c.key for c in changes if c.change in ("became_missing", "removed_from_scorecard")
    ]
    cov_b, cov_a = float(previous.get("coverage") or 0), float(current.get("coverage") or 0)
    computed_delta = _delta(current.get("computed_score"), previous.get("computed_score"), 1)
    attributed = sum(c.contribution_delta for c in changes)
    result = Explanation(
        score_before=previous.get("score"),
        score_after=current.get("score"),
        score_delta=_delta(current.get("score"), previous.get("score"), 1),
        computed_score_before=previous.get("computed_score"),
        computed_score_after=current.get("computed_score"),
        computed_delta=computed_delta,
        band_before=previous.get("band", "unknown"),
        band_after=current.get("band", "unknown"),
        coverage_before=cov_b,
        coverage_after=cov_a,
        coverage_delta=round_half_up(cov_a - cov_b, 4),
        confidence_before=previous.get("confidence", "low"),
        confidence_after=current.get("confidence", "low"),
        scorecard_before=sc_b,
        scorecard_after=sc_a,
        scorecard_changed=sc_b != sc_a,
        override_change=_override_change(previous.get("override"), current.get("override")),
        measures=changes,
        appeared=appeared,
        disappeared=disappeared,
        rounding_residual=(
            None if computed_delta is None else round_half_up(computed_delta - attributed, 2)
        ),
        summary="",
        comparable_measures=[k for k in keys if k in like],
        comparable_before=comparable_before,
        comparable_after=comparable_after,
        comparable_delta=_delta(comparable_after, comparable_before, 1),
        newly_measured=[c.key for c in changes if c.change == "became_present"],
        no_longer_measured=[c.key for c in changes if c.change == "became_missing"],
    )
    return _with_summary(result)


def _like_weights(
    prev_m: Mapping[str, Mapping[str, Any]], curr_m: Mapping[str, Mapping[str, Any]]
) -> dict[str, float]:
    """Weights of the measures scored at both dates, as the engine would weight that set:
    each group's configured share re-normalised over the groups that have such a measure,
    split within the group by the measures' configured weights (the current scorecard's)."""
    both = [
        k
        for k, m in curr_m.items()
        if m.get("status") == "scored"
        and (prev_m.get(k) or {}).get("status") == "scored"
        and m.get("score") is not None
        and prev_m[k].get("score") is not None
    ]
    group_of = {k: m.get("group", "") for k, m in curr_m.items()}
    group_weight: dict[str, float] = {}
    for k, m in curr_m.items():
        group_weight[group_of[k]] = group_weight.get(group_of[k], 0.0) + float(
            m.get("configured_weight") or 0
        )
    present: dict[str, float] = {}
    for k in both:
        present[group_of[k]] = present.get(group_of[k], 0.0) + float(
            curr_m[k].get("configured_weight") or 0
        )
    active = {g: group_weight[g] for g, w in present.items() if w > 0}
    total = sum(active.values())
    if not total:
        return {}
    return {
        k: active[group_of[k]]
        / total
        * float(curr_m[k].get("configured_weight") or 0)
        / present[group_of[k]]
        for k in both
        if group_of[k] in active
    }


def _with_summary(e: Explanation) -> Explanation:
    parts: list[str] = []
    if e.score_delta is None:
        parts.append(
            f"Health score {_fmt_score(e.score_before)} \u2192 {_fmt_score(e.score_after)} "
            "(no comparable score on one side)."
        )
    else:
        verb = "rose" if e.score_delta > 0 else "fell" if e.score_delta < 0 else "did not change"
        amount = f" {_num(abs(e.score_delta))} points" if e.score_delta else ""
        parts.append(
            f"Health {verb}{amount} ({_fmt_score(e.score_before)} \u2192 "
            f"{_fmt_score(e.score_after)}, {e.band_before} \u2192 {e.band_after})."
        )
    labels = {c.key: c.label for c in e.measures}
    if e.comparable_delta is not None:
        parts.append(
            f"Over the {len(e.comparable_measures)} measures scored at both dates: "
            f"{_fmt_score(e.comparable_before)} \u2192 {_fmt_score(e.comparable_after)}."
        )
    drivers = [c for c in e.measures if c.like_delta is not None and abs(c.like_delta) >= 0.05][:3]
    if drivers:
        listed = ", ".join(f"{c.label} {fmt_points(c.like_delta)}" for c in drivers)
        parts.append(f"Main drivers: {listed}.")
    if e.newly_measured:
        named = ", ".join(labels[k] for k in e.newly_measured)
        parts.append(f"Newly measured (not a driver): {named}.")
    if e.no_longer_measured:
        named = ", ".join(labels[k] for k in e.no_longer_measured)
        parts.append(f"No longer measured (not a driver): {named}.")
    if e.coverage_delta:
        parts.append(f"Coverage {_num(e.coverage_before)} \u2192 {_num(e.coverage_after)}.")
    if e.scorecard_changed:
        parts.append(
            f"Scorecard changed (v{e.scorecard_before.get('version')} \u2192 "
            f"v{e.scorecard_after.get('version')}): part of the change comes from the definition."
        )
    if e.override_change["kind"] not in ("none", "unchanged"):
        parts.append(f"Override {e.override_change['kind']}.")
    return replace(e, summary=" ".join(parts))
