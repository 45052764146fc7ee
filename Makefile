# Two commands on a fresh machine: `make run` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed

# The test/CI environment: PostgreSQL and Redis on loopback.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/cs_platform
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
PYTEST_ARGS ?=

.PHONY: bench-api run test fuzz test-fast test-dates test-operations deploy-check lint fmt install install-dev services browser lock seed bench smoke-embedded clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME_STAMP): requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

$(DEV_STAMP): requirements.lock requirements-dev.lock $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile -q --strip-extras --no-header -o requirements.lock requirements.in
	$(BIN)/pip-compile -q --strip-extras --no-header -o requirements-dev.lock requirements-dev.in

# Embedded default: SQLite, eager Celery, local-memory cache, demo data, sandbox providers.
run: install
	env -u DATABASE_URL -u REDIS_URL bash scripts/run_embedded.sh

services:
	@bash scripts/ensure_services.sh

# Headless Chromium and its driver for the browser tests (Debian packages; a no-op when present).
browser:
	@bash scripts/ensure_browser.sh

# The browser tests (marker `browser`) run with the rest; screenshots: test-artifacts/screenshots/.
test: install-dev services browser
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DB_POOL=false \
	CELERY_TASK_ALWAYS_EAGER=true \
	$(BIN)/pytest -q -n 2 --create-db -m "not operations and not fuzz" $(PYTEST_ARGS)

# Bounded fuzzing (tests/fuzz, marker `fuzz`) on PostgreSQL: schemathesis over the OpenAPI
# document (every operation; no server error, documented statuses and bodies) and every
# MCP tool's input schema through /mcp (no server error). One file per worker, each about
# 3 minutes on 2 cores; FUZZ_REST_EXAMPLES / FUZZ_MCP_EXAMPLES raise the example counts.
fuzz: install-dev services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DB_POOL=false \
	CELERY_TASK_ALWAYS_EAGER=true \
	$(BIN)/pytest -q -n 2 --dist loadfile --create-db -m fuzz tests/fuzz $(PYTEST_ARGS)

# The production topology on loopback (tests/operations): its own PostgreSQL and Redis
# (restarted by the fault tests, so the machine's services are never touched), sandbox
# providers, gunicorn with 2 workers, 2 Celery workers and beat. Metrics scraped across
# processes, faults survived, a 32-client load, backup and restore, one trace. About 3
# minutes; the figures land in OPERATIONS_RESULTS (docs/RELIABILITY.md quotes a run).
OPERATIONS_RESULTS ?= $(CURDIR)/.tools/operations-results.json
test-operations: install-dev
	mkdir -p $(dir $(OPERATIONS_RESULTS)) && rm -f $(OPERATIONS_RESULTS)
	env -u DATABASE_URL -u REDIS_URL OPERATIONS_RESULTS=$(OPERATIONS_RESULTS) \
	  $(BIN)/pytest -q -n 0 -p no:logging -m operations tests/operations $(PYTEST_ARGS)

# deploy/: Prometheus rules checked and unit-tested with promtool, the Alertmanager example
# with amtool (both from Debian's packages, fetched when missing), Kubernetes manifests and
# docker-compose.yml validated offline against their schemas.
deploy-check: install-dev
	bash scripts/ensure_prom_tools.sh
	.tools/bin/promtool check rules deploy/prometheus/rules/*.yml
	.tools/bin/promtool test rules deploy/prometheus/tests/*.yml
	.tools/bin/promtool check config --syntax-only deploy/prometheus/prometheus.yml
	.tools/bin/amtool check-config deploy/alertmanager/alertmanager.yml
	$(BIN)/python scripts/validate_deploy.py

# The suite without the tests marked `slow` (servers, workers, child processes): for iterating.
test-fast: install-dev services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DB_POOL=false \
	CELERY_TASK_ALWAYS_EAGER=true \
	$(BIN)/pytest -q -n 2 --create-db -m "not slow and not fuzz" $(PYTEST_ARGS)

# The date-sensitive tests again, with "today" set to a month end, 29 February, 31 December,
# a Sunday and a Monday (CS_TODAY, read by cs_platform/core/clock.py; `make test` is the
# real date). Only tests whose code takes a date from the clock carry the marker (pyproject.toml).
test-dates: install-dev services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DB_POOL=false \
	CELERY_TASK_ALWAYS_EAGER=true bash scripts/test_dates.sh $(PYTEST_ARGS)

# Style, then the layer contracts in pyproject.toml ([tool.importlinter]).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

fmt: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Keeps `make run` from rotting: the embedded path must migrate and pass `check`, database
# checks included (a constraint SQLite cannot create is a warning there, and fails it).
smoke-embedded: install
	rm -f /tmp/cs-platform-smoke.sqlite3
	env -u DATABASE_URL -u REDIS_URL SQLITE_PATH=/tmp/cs-platform-smoke.sqlite3 \
	  $(BIN)/python manage.py migrate --noinput -v 0
	env -u DATABASE_URL -u REDIS_URL SQLITE_PATH=/tmp/cs-platform-smoke.sqlite3 \
	  $(BIN)/python manage.py check --database default --fail-level WARNING
	env -u DATABASE_URL -u REDIS_URL SQLITE_PATH=/tmp/cs-platform-smoke.sqlite3 \
	  $(BIN)/python manage.py makemigrations --check --dry-run

# REST and MCP under load (1, 8, 32 clients) against gunicorn as production runs it, on a
# 100,000-account portfolio (database cs_bench_api: seeded once, then reused), beside a
# /healthz floor; bench/results/api.json. Unattended; about 12 minutes with the seed.
bench-api: install-dev services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python bench/api_bench.py

# Benchmarks write their figures to bench/results/*.json (not run by CI: minutes each).
bench: install-dev services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python bench/seed_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python bench/health_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python bench/integrations_bench.py

# Reload the embedded demo portfolio (SQLite) from scratch.
seed: install
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py seed_demo --accounts 300 --seed 42 --reset
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py recompute_health --all --history-weeks 8 >/dev/null
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py fit_churn_calibration >/dev/null

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts
