"""Which scorecard a recompute uses (its compiled form: ``health.selectors.scorecards``)."""

from __future__ import annotations

from cs_platform.core.errors import NotFound
from health.models import Scorecard as ScorecardRow
from health.scoring import default_scorecard

DEFAULT_SCORECARD_KEY = "default"


def scorecard_row_active(key: str = DEFAULT_SCORECARD_KEY) -> ScorecardRow:
    """The active version of scorecard ``key`` (one query).

    The built-in ``default`` scorecard is stored by a data migration; a database emptied
    since (a test flush, a restore of business tables only) gets it back here, unless some
    version of it exists and was deliberately deactivated.
    """
    row = ScorecardRow.objects.filter(key=key, is_active=True).first()
    if row is None and key == DEFAULT_SCORECARD_KEY:
        row = _default_restore()
    if row is None:
        raise NotFound(
            f"no active scorecard with key {key!r}", details={"field": "scorecard", "key": key}
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


def _default_restore() -> ScorecardRow | None:
    if ScorecardRow.objects.filter(key=DEFAULT_SCORECARD_KEY).exists():
        return None
    definition = default_scorecard().to_dict()
    row, _ = ScorecardRow.objects.get_or_create(
        key=definition["key"],
        version=definition["version"],
        defaults={"name": definition["name"], "definition": definition, "is_active": True},
    )
    return row
