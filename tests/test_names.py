"""Names say what they hold: no file, fixture, function or docstring is named after the
plan, issue or ticket it came from. Such tags mean nothing to the next reader (and once
said what shadowed what, which a fixture's name should say instead)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".git", ".venv", "migrations", "__pycache__", "node_modules", "staticfiles"}
SKIPPED_DIRS |= {".ruff_cache", ".pytest_cache", ".hypothesis", ".mypy_cache"}
# Tool caches (git-ignored) hold names of their own, e.g. import-linter's hashes.
SKIPPED_DIRS |= {".import_linter_cache", ".grimp_cache", "test-artifacts", ".tools"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".in", ".txt", ".cfg", ".ini", ".sh", ".yml", ".yaml"}
TEXT_SUFFIXES |= {".html", ".json", ".example"}
TEXT_NAMES = {"Makefile", "Dockerfile", "run"}

PLAN_TAGS = re.compile(
    r"\b[A-Za-z][0-9][_-][A-Za-z]"  # a letter-digit prefix on a name or a key
    r"|(?<=[A-Za-z0-9])_[A-UW-Za-uw-z][0-9]\b"  # ... or a suffix (`_v2`, a version, is a name)
    r"|\b(?:issue|plan|phase|sprint|wave|milestone|ticket|item|task|step)[_-]?[0-9]+_?\w*\b",
    re.IGNORECASE,
)


def _files() -> list[Path]:
    found = []
    for directory, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS]
        for name in files:
            path = Path(directory) / name
            if path.suffix in TEXT_SUFFIXES or name in TEXT_NAMES:
                found.append(path)
    return found


def plan_tags(text: str) -> list[str]:
    return [m.group(0) for m in PLAN_TAGS.finditer(text)]


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        # Built by `+` so that this file does not hold what it looks for.
        ("def plan_staff(): ...", []),
        ("x2" + "_staff = 1", ["x2" + "_s"]),
        ("key='x2" + "-test'", ["x2" + "-t"]),
        ("from tests import fixtures" + "_q7", ["_q7"]),
        ("helper for ISSUE" + "12 and ticket" + "-7", ["ISSUE" + "12", "ticket" + "-7"]),
        ("Web_API_v3, sha256_hex, u2.date, 'Step 1', T0 - days", []),
    ],
    ids=["plain-name", "prefix", "hyphen-prefix", "suffix", "issue-ids", "look-alikes"],
)
def test_the_scan_finds_plan_tags_and_leaves_names_alone(text, tags):
    assert plan_tags(text) == tags


def test_no_name_in_the_tree_carries_a_plan_or_issue_id():
    hits = []
    for path in _files():
        relative = path.relative_to(REPO).as_posix()
        hits += [f"{relative} (file name): {tag}" for tag in plan_tags(relative)]
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            hits += [f"{relative}:{number}: {tag}" for tag in plan_tags(line)]
    assert not hits, "name it by what it holds, not by its plan or issue:\n" + "\n".join(hits)
