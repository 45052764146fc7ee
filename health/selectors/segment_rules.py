"""Segment rules (also retention campaign triggers): a small, validated rule language
compiled to one account query.

A rule set is ``{"match": "all"|"any", "conditions": [{"field", "op", "value"}, ...]}``.
Fields are account attributes (tier, industry, region, lifecycle_stage, status,
payment_status, arr, seats_licensed) or metrics computed from rows (health_score and
health_band of the latest snapshot, churn_probability of the latest prediction,
usage_trend_pct over 30 days, days_to_renewal of the next open renewal,
days_since_last_active). A condition on a metric an account has no data for never
matches; `is_missing` selects exactly those accounts. The same language drives
retention campaign triggers.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, FloatField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Cast, Coalesce

from cs_platform.core.errors import InvalidInput
from customers.models import (
    Account,
    AccountStatus,
    Industry,
    LifecycleStage,
    PaymentStatus,
    Tier,
)
from customers.selectors.renewals import next_renewal
from health.models import ChurnPrediction, HealthBand, UsageDaily
from health.selectors.snapshots import latest_health

CATEGORICAL_FIELDS: dict[str, tuple[str, ...] | None] = {
    "tier": tuple(Tier.values),
    "industry": tuple(Industry.values),
    "region": None,  # free text
    "lifecycle_stage": tuple(LifecycleStage.values),
    "status": tuple(AccountStatus.values),
    "payment_status": tuple(PaymentStatus.values),
    "health_band": tuple(HealthBand.values),
}
ACCOUNT_NUMBERS = ("arr", "seats_licensed")
METRICS = (
    "health_score",
    "churn_probability",
    "usage_trend_pct",
    "days_to_renewal",
    "days_since_last_active",
)
RULE_FIELDS = (*CATEGORICAL_FIELDS, *ACCOUNT_NUMBERS, *METRICS)
CATEGORICAL_OPS = ("eq", "neq", "in", "not_in")
NUMERIC_OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "between")
PRESENCE_OPS = ("is_missing", "is_present")
RULE_OPS = (*CATEGORICAL_OPS, "gt", "gte", "lt", "lte", "between", *PRESENCE_OPS)
MAX_CONDITIONS = 20


def _issue(path: str, message: str) -> dict[str, str]:
    return {"field": path, "message": message, "type": "invalid_rule"}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_condition(cond: Any, path: str) -> list[dict[str, str]]:
    if not isinstance(cond, dict):
        return [_issue(path, "a condition is an object with field, op and value")]
    unknown = set(cond) - {"field", "op", "value"}
    if unknown:
        return [_issue(path, f"unknown keys: {', '.join(sorted(unknown))}")]
    field, op, value = cond.get("field"), cond.get("op"), cond.get("value")
    if field not in RULE_FIELDS:
        return [_issue(f"{path}.field", f"must be one of {', '.join(RULE_FIELDS)}")]
    if field in CATEGORICAL_FIELDS:
        allowed_ops: tuple[str, ...] = CATEGORICAL_OPS
    elif field in METRICS:
        allowed_ops = (*NUMERIC_OPS, *PRESENCE_OPS)
    else:
        allowed_ops = NUMERIC_OPS
    if op not in allowed_ops:
        return [_issue(f"{path}.op", f"for {field} must be one of {', '.join(allowed_ops)}")]
    vpath = f"{path}.value"
    if op in PRESENCE_OPS:
        return [] if value is None else [_issue(vpath, f"{op} takes no value")]
    if field in CATEGORICAL_FIELDS:
        choices = CATEGORICAL_FIELDS[field]
        values = value if op in ("in", "not_in") else [value]
        if op in ("in", "not_in") and (not isinstance(value, list) or not 1 <= len(value) <= 50):
            return [_issue(vpath, f"{op} takes a list of 1–50 values")]
        for v in values:
            if not isinstance(v, str) or not v or len(v) > 64:
                return [_issue(vpath, "values are non-empty strings")]
            if choices is not None and v not in choices:
                return [_issue(vpath, f"{v!r} is not one of {', '.join(choices)}")]
        return []
    if op == "between":
        ok = isinstance(value, list) and len(value) == 2 and all(_number(v) for v in value)
        if not ok or value[0] > value[1]:
            return [_issue(vpath, "between takes [low, high] numbers with low ≤ high")]
        return []
    return [] if _number(value) else [_issue(vpath, f"{op} takes a number")]


def segment_rules_validate(rules: Any, *, path: str = "rules") -> dict[str, Any]:
    """Validate a rule set; returns it normalised or raises `invalid_input` naming each
    offending condition (e.g. ``conditions.1.value``)."""
    issues: list[dict[str, str]] = []
    if not isinstance(rules, dict):
        raise InvalidInput(
            f"{path}: must be an object", details={"errors": [_issue(path, "not an object")]}
        )
    prefix = f"{path}." if path else ""
    match = rules.get("match", "all")
    if match not in ("all", "any"):
        issues.append(_issue(f"{prefix}match", "must be 'all' or 'any'"))
    conditions = rules.get("conditions")
    if not isinstance(conditions, list) or not 1 <= len(conditions) <= MAX_CONDITIONS:
        issues.append(_issue(f"{prefix}conditions", f"a list of 1–{MAX_CONDITIONS} conditions"))
        conditions = []
    for i, cond in enumerate(conditions):
        issues += _check_condition(cond, f"{prefix}conditions.{i}")
    extra = set(rules) - {"match", "conditions"}
    if extra:
        issues.append(_issue(path or "rules", f"unknown keys: {', '.join(sorted(extra))}"))
    if issues:
        fields = ", ".join(i["field"] for i in issues)
        raise InvalidInput(f"invalid rules: {fields}", details={"errors": issues})
    return {
        "match": match,
        "conditions": [
            {"field": c["field"], "op": c["op"], "value": c.get("value")} for c in conditions
        ],
    }


# --- compilation -----------------------------------------------------------------------
def _usage_sum(start: date, end: date) -> Subquery:
    return Subquery(
        UsageDaily.objects.filter(account_id=OuterRef("pk"), date__gte=start, date__lte=end)
        .order_by()
        .values("account_id")
        .annotate(s=Sum("active_users"))
        .values("s")[:1]
    )


def _metric_annotations(needed: set[str], *, today: date) -> dict[str, Any]:
    ann: dict[str, Any] = {}
    if "health_score" in needed:
        ann["m_health_score"] = latest_health("score")
    if "health_band" in needed:
        ann["m_health_band"] = Coalesce(latest_health("band"), Value(HealthBand.UNKNOWN))
    if "churn_probability" in needed:
        ann["m_churn_probability"] = Subquery(
            ChurnPrediction.objects.filter(account_id=OuterRef("pk"))
            .order_by("-predicted_at", "-id")
            .values("probability")[:1]
        )
    if "usage_trend_pct" in needed:
        ann["m_usage_last"] = _usage_sum(today - timedelta(days=29), today)
        ann["m_usage_prev"] = _usage_sum(today - timedelta(days=59), today - timedelta(days=30))
    if "days_to_renewal" in needed:
        ann["m_next_renewal"] = next_renewal("renewal_date")
    if "days_since_last_active" in needed:
        ann["m_last_active"] = Subquery(
            UsageDaily.objects.filter(account_id=OuterRef("pk"), active_users__gt=0)
            .order_by("-date")
            .values("date")[:1]
        )
    return ann


_FLIP = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte", "eq": "eq", "neq": "neq"}


def _compare(name: str, op: str, value: Any) -> Q:
    if op == "between":
        return Q(**{f"{name}__gte": value[0], f"{name}__lte": value[1]})
    if op == "neq":
        return Q(**{f"{name}__isnull": False}) & ~Q(**{name: value})
    if op == "eq":
        return Q(**{name: value})
    return Q(**{f"{name}__{op}": value})


def _condition_q(cond: dict[str, Any], *, today: date) -> Q:
    field, op, value = cond["field"], cond["op"], cond["value"]
    name = f"m_{field}" if field in METRICS or field == "health_band" else field
    if field == "usage_trend_pct":
        name = "m_usage_trend_pct"
    if field == "days_to_renewal":
        name = "m_next_renewal"
        value = [today + timedelta(days=v) for v in value] if op == "between" else value
        if op not in PRESENCE_OPS and op != "between":
            value = today + timedelta(days=value)
    elif field == "days_since_last_active":
        name = "m_last_active"
        if op == "between":
            value = [today - timedelta(days=value[1]), today - timedelta(days=value[0])]
        elif op not in PRESENCE_OPS:
            op, value = _FLIP[op], today - timedelta(days=value)
    elif field in ("health_score", "churn_probability", "arr"):
        value = [Decimal(str(v)) for v in value] if op == "between" else value
        value = Decimal(str(value)) if _number(value) else value
    if op == "is_missing":
        return Q(**{f"{name}__isnull": True})
    if op == "is_present":
        return Q(**{f"{name}__isnull": False})
    if op == "in":
        return Q(**{f"{name}__in": value})
    if op == "not_in":
        return Q(**{f"{name}__isnull": False}) & ~Q(**{f"{name}__in": value})
    return _compare(name, op, value)


def segment_accounts_matching(
    rules: dict[str, Any], *, today: date, base: QuerySet | None = None
) -> QuerySet[Account]:
    """The accounts a (validated) rule set selects, as one query; metrics the rules do not
    use are not computed."""
    rules = segment_rules_validate(rules)
    needed = {c["field"] for c in rules["conditions"]}
    qs = (base if base is not None else Account.objects.all()).annotate(
        **_metric_annotations(needed, today=today)
    )
    if "usage_trend_pct" in needed:
        prev = Cast("m_usage_prev", FloatField())
        qs = qs.annotate(
            m_usage_trend_pct=Case(
                When(
                    m_usage_prev__gt=0,
                    then=(Cast(Coalesce("m_usage_last", 0), FloatField()) - prev) * 100.0 / prev,
                ),
                default=None,
                output_field=FloatField(),
            )
        )
    combined = Q()
    for cond in rules["conditions"]:
        q = _condition_q(cond, today=today)
        combined = (combined & q) if rules["match"] == "all" else (combined | q)
    return qs.filter(combined)
