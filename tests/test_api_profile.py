"""bench/api_profile.py's reading of a py-spy profile: shares of samples per function
(inclusive) and per library (the sampled frame's own), as docs/PERFORMANCE.md quotes them."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.api_profile import _library, _summarise  # noqa: E402 (needs REPO on sys.path)


def test_a_raw_profile_is_read_as_inclusive_and_own_shares(tmp_path):
    raw = tmp_path / "profile.txt"
    view = "view (cs_platform/core/api/tool_views.py:32)"
    # py-spy names files relative to their sys.path entry.
    auth = "Request._authenticate (rest_framework/request.py:393)"
    query = "Cursor.execute (psycopg/cursor.py:113)"
    raw.write_text(
        f"process 1:worker;{view};{auth};{query} 6\n"
        f"process 2:worker;{view};{view};{query} 2\n"  # a recursive frame counts once
        f"process 1:worker;{view} 2\n"
        "not a sample line\n"
    )
    summary = _summarise(raw, top=10)
    assert summary["samples"] == 10
    shares = {row["frame"]: row["share"] for row in summary["inclusive"]}
    assert shares[view] == 1.0 and shares[query] == 0.8 and shares[auth] == 0.6
    assert "process 1:worker" not in shares  # the process label is not a function
    own = {row["library"]: row["share"] for row in summary["own_time_by_library"]}
    assert own == {"psycopg": 0.8, "project: cs_platform": 0.2}


def test_frames_are_attributed_to_their_library():
    assert _library("Redis.execute_command (redis/client.py:621)") == "redis"
    assert _library("loads (json/__init__.py:299)") == "python stdlib"
    assert _library("<module> (gunicorn:6)") == "gunicorn"
    assert _library("CompiledScorecard.score (health/scoring/compiled.py:158)") == (
        "project: health"
    )
    assert _library("x (/venv/lib/python3.11/site-packages/django/db/utils.py:9)") == "django"
