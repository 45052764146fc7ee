"""Values several apps share, defined once: the model choices and the contract types.

A lifecycle stage, a tier, a health band or a CTA priority means the same thing in every
app, in the database and in every tool schema. The models use these choices (their apps
re-export them next to their other choices) and tool contracts use the `Literal` types
built from them, so a schema's `enum` can never drift from what the database accepts.
Vocabulary used by one app only stays in that app's models.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.db import models
from pydantic import Field, WithJsonSchema

from cs_platform.core.contracts import ToolOutput


class LifecycleStage(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ADOPTION = "adoption", "Adoption"
    EXPANSION = "expansion", "Expansion"
    RENEWAL = "renewal", "Renewal"
    AT_RISK = "at_risk", "At risk"
    CHURNED = "churned", "Churned"


class Tier(models.TextChoices):
    ENTERPRISE = "enterprise", "Enterprise"
    MID_MARKET = "mid_market", "Mid-market"
    SMB = "smb", "SMB"
    STARTUP = "startup", "Startup"


class HealthBand(models.TextChoices):
    GREEN = "green", "Green"
    YELLOW = "yellow", "Yellow"
    RED = "red", "Red"
    UNKNOWN = "unknown", "Unknown (no data)"
    # A score exists but rests on less than the scorecard's min_coverage of its weight.
    INSUFFICIENT_DATA = "insufficient_data", "Insufficient data"


class Priority(models.TextChoices):
    """Priority of a CTA and severity of an escalation."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


StageName = Literal[tuple(LifecycleStage.values)]  # type: ignore[valid-type]
TierName = Literal[tuple(Tier.values)]  # type: ignore[valid-type]
BandName = Literal[tuple(HealthBand.values)]  # type: ignore[valid-type]
PriorityName = Literal[tuple(Priority.values)]  # type: ignore[valid-type]
# How a rule's conditions combine (segments, retention campaign triggers).
RuleMatch = Literal["all", "any"]
# A segment's key; each field says what it selects in its own description.
SegmentKey = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[-a-z0-9_]+$")]


_SCALARS = [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"}]
# A value whose type depends on which field or measure it belongs to: a changed field's
# before/after, a measure's raw input, a threshold. Declared as a JSON scalar or a list of
# scalars so every client sees a typed property (an untyped one is a portability warning
# in MCP clients); our code produces these values, so validation is left as it was.
AnyScalar = Annotated[Any, WithJsonSchema({"anyOf": _SCALARS})]
ScalarOrList = Annotated[
    Any, WithJsonSchema({"anyOf": [*_SCALARS, {"type": "array", "items": {"anyOf": _SCALARS}}]})
]


# A changed field's value: a scalar, a list, or an object (a monitor's thresholds); the
# REST fuzzer found an object answered against a schema that allowed none.
FieldValue = Annotated[
    Any,
    WithJsonSchema(
        {"anyOf": [*_SCALARS, {"type": "array", "items": {"anyOf": _SCALARS}}, {"type": "object"}]}
    ),
]


# One changed field of an update, as mutating tools report it. (A comment, not a
# docstring: pydantic would publish a docstring in every schema that lists changes.)
class FieldChange(ToolOutput):
    field: str
    before: FieldValue
    after: FieldValue
