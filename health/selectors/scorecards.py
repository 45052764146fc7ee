"""A stored scorecard version's parsed and compiled forms, cached per definition.

Versions are immutable once saved, but the cache is keyed by the definition's text as well
as the row id, so a row whose definition differs (a test database re-using ids, say) is
never served another's.
"""

from __future__ import annotations

import json
from functools import lru_cache

from health.models import Scorecard as ScorecardRow
from health.scoring import Scorecard
from health.scoring.compiled import CompiledScorecard


@lru_cache(maxsize=16)
def _compiled(pk: int, definition_key: str) -> CompiledScorecard:
    return CompiledScorecard(Scorecard.from_dict(json.loads(definition_key)))


def compiled_for(row: ScorecardRow) -> CompiledScorecard:
    """The compiled scorecard of a row; rebuilt only when its definition changes."""
    return _compiled(row.pk, json.dumps(row.definition, sort_keys=True))


def scorecard_of(row: ScorecardRow) -> Scorecard:
    """The parsed definition of a stored scorecard version (cached like ``compiled_for``)."""
    return compiled_for(row).scorecard
