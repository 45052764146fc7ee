"""Health catalogues whose only rules are their models': the feature list and surveys.
Written through `cs_platform.core.records` (validated and audited)."""

from __future__ import annotations

from cs_platform.core.records import RecordSpec
from health.models import Feature, Survey

FEATURE_RECORD = RecordSpec(Feature, "feature")
SURVEY_RECORD = RecordSpec(Survey, "survey")

FEATURE_WRITES = FEATURE_RECORD.writes()
SURVEY_WRITES = SURVEY_RECORD.writes()
