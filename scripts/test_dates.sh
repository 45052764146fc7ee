#!/usr/bin/env bash
# Runs the date-sensitive tests (marker `date_sensitive`) once per awkward "today":
# a month end, 29 February, 31 December, a Sunday and a Monday. The real date is the main
# suite's own run (`make test`, which runs these tests too); DATES="… real" adds it here.
# "Today" reaches every process through CS_TODAY (cs_platform/core/clock.py).
# Which tests carry the marker, and why only those: pyproject.toml's marker list and
# docs/ARCHITECTURE.md ("The clock"); scripts/clock_probe.py finds them.
# Usage: scripts/test_dates.sh [extra pytest args]; DATES="2027-01-31 …" overrides.
# Without extra args only the modules holding a marked test are collected (collecting
# the whole suite five times costs more than some of the runs).
set -euo pipefail
cd "$(dirname "$0")/.."
DATES=${DATES:-"2027-01-31 2028-02-29 2026-12-31 2027-01-03 2027-01-04"}
if (($# == 0)); then
  mapfile -t targets < <(grep -rlE --include='test_*.py' 'mark\.date_sensitive\b' \
    tests customers health integrations gdpr audit portfolio mcp_bridge cs_platform | sort)
  set -- "${targets[@]}"
fi
# The first run builds the test databases; the others reuse them (the schema does not
# depend on the date, and every test cleans up after itself).
db=--create-db
for day in $DATES; do
  if [[ $day == real ]]; then
    echo "== date-sensitive tests on the real date"
    env -u CS_TODAY .venv/bin/pytest -q -n 2 $db -m date_sensitive "$@"
  else
    echo "== date-sensitive tests with CS_TODAY=$day"
    CS_TODAY=$day .venv/bin/pytest -q -n 2 $db -m date_sensitive "$@"
  fi
  db=--reuse-db
done
