"""Which scorecard a recompute uses (its compiled form: ``health.selectors.scorecards``)."""

from __future__ import annotations

from cs_platform.core.errors import NotFound
from health.models import Scorecard as ScorecardRow

DEFAULT_SCORECARD_KEY = "default"


def scorecard_row_active(key: str = DEFAULT_SCORECARD_KEY) -> ScorecardRow:
    """The active version of scorecard ``key`` (one query). Reads only: the built-in
    ``default`` scorecard is stored by the data migration ``health.0003``, never here."""
    row = ScorecardRow.objects.filter(key=key, is_active=True).first()
    if row is None:
        hint = (
            " It is stored by the data migration health.0003_default_scorecard: run "
            "`manage.py migrate`, or activate a version of it in the admin."
            if key == DEFAULT_SCORECARD_KEY
            else ""
        )
        raise NotFound(
            f"no active scorecard with key {key!r}.{hint}",
            details={"field": "scorecard", "key": key},
        )
    return row


def scorecard_row_get(key: str, version: int | None) -> ScorecardRow:
    """Version ``version`` of ``key``, or its active version when ``version`` is None."""
    if version is None:
        return scorecard_row_active(key)
    row = ScorecardRow.objects.filter(key=key, version=version).first()
    if row is None:
        raise NotFound(
            f"scorecard {key!r} has no version {version}",
            details={"field": "scorecard_version", "key": key, "version": version},
        )
    return row
