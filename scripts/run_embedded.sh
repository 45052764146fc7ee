#!/usr/bin/env bash
# The embedded run mode behind `make run`: SQLite, Celery tasks inline, a local-memory
# cache, a demo portfolio, the sandbox providers and the web server on 127.0.0.1:8000.
# No database or broker to install. The Makefile has already created .venv and installed
# the locked dependencies.
#
# Overridable: SQLITE_PATH (db.sqlite3), RUN_HOST (127.0.0.1), RUN_PORT (8000),
# SANDBOX_PORT (8765), DEMO_ACCOUNTS (300), DEMO_SEED (42),
# DEMO_ADMIN_PASSWORD_FILE (.demo-admin-password), DEMO_PASSWORDS_FILE (.demo-passwords).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
RUN_HOST=${RUN_HOST:-127.0.0.1}
RUN_PORT=${RUN_PORT:-8000}
SANDBOX_PORT=${SANDBOX_PORT:-8765}
DEMO_ACCOUNTS=${DEMO_ACCOUNTS:-300}
DEMO_SEED=${DEMO_SEED:-42}
DEMO_ADMIN_PASSWORD_FILE=${DEMO_ADMIN_PASSWORD_FILE:-.demo-admin-password}
DEMO_PASSWORDS_FILE=${DEMO_PASSWORDS_FILE:-.demo-passwords}

[ -x "$PY" ] || { echo "$PY is missing: run \`make run\`, which creates it." >&2; exit 1; }

# Both ports must be free before anything starts: a server that cannot bind would leave the
# demo half-working (no sandbox: every provider sync fails) or not serving at all.
port_free() {  # host port; binds the way the servers will (SO_REUSEADDR), then lets go
  "$PY" -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind((sys.argv[1], int(sys.argv[2])))
except OSError:
    sys.exit(1)' "$1" "$2"
}
require_free_port() {  # host port variable what
  if ! port_free "$1" "$2"; then
    echo "ERROR: port $2 on $1 ($4) is already in use. Stop what listens there, or pick" \
      "another port with $3, e.g. \`$3=$(($2 + 1)) make run\`." >&2
    exit 1
  fi
}
if [ "$RUN_PORT" = "$SANDBOX_PORT" ]; then
  echo "ERROR: RUN_PORT and SANDBOX_PORT are both $RUN_PORT; give them different ports." >&2
  exit 1
fi
require_free_port "$RUN_HOST" "$RUN_PORT" RUN_PORT "the web server"
require_free_port 127.0.0.1 "$SANDBOX_PORT" SANDBOX_PORT "the sandbox providers"

# Embedded means embedded even when a .env file names a server: settings read .env without
# overriding variables that are set, so set these (empty) rather than only unsetting them.
export DJANGO_SETTINGS_MODULE=cs_platform.settings
export DATABASE_URL="" REDIS_URL="" CELERY_BROKER_URL=""
unset DATABASE_URL_FILE REDIS_URL_FILE CELERY_BROKER_URL_FILE
export CELERY_TASK_ALWAYS_EAGER=true
# A task's failure is recorded on its row (a SyncRun, an outbox message), as with a worker;
# it must not turn the request that queued it (already committed) into an error.
export CELERY_TASK_EAGER_PROPAGATES=false

pids=()
stop_children() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_children EXIT
# Background jobs of a non-interactive shell ignore SIGINT, so Ctrl-C reaches only this
# shell: exit, and the EXIT trap stops the server and the sandbox with SIGTERM.
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== migrate (SQLite: ${SQLITE_PATH:-db.sqlite3})"
"$PY" manage.py migrate --noinput -v 0

# One Django start-up answers three questions: which optional commands this version has
# (seed_demo, sandbox_providers) and whether the database holds accounts yet.
# (A failure here stops the script: `set -e` applies to this assignment.)
facts=$("$PY" -c 'import django; django.setup()
from django.core.management import get_commands
from customers.models import Account
commands = get_commands()
print(int("seed_demo" in commands), int("sandbox_providers" in commands), Account.objects.count())')
read -r has_seed_demo has_sandbox accounts <<<"$facts"

if [ "$has_seed_demo" = 1 ]; then
  if [ "$accounts" = 0 ]; then
    echo "== demo data: $DEMO_ACCOUNTS accounts (seed $DEMO_SEED)"
    "$PY" manage.py seed_demo --accounts "$DEMO_ACCOUNTS" --seed "$DEMO_SEED"
    # There is no beat in the embedded mode: score the demo now, with 8 weekly snapshots
    # before today so trends and explain_health_change have history to compare.
    echo "== health scores: today and 8 weeks back"
    "$PY" manage.py recompute_health --all --history-weeks 8 >/dev/null
    # Calibrate churn probabilities on the demo's recorded renewal outcomes (and re-predict
    # the latest snapshots under the fit), as an operator would once outcomes exist.
    echo "== churn calibration: fitted on the demo's renewal outcomes"
    "$PY" manage.py fit_churn_calibration >/dev/null
  else
    echo "== demo data: already loaded ($accounts accounts)"
  fi
else
  echo "== demo data: skipped (this version has no seed_demo command)"
fi

# Printed last, just before the server starts, so it is not buried under other output.
admin_login=$("$PY" manage.py ensure_demo_admin --password-file "$DEMO_ADMIN_PASSWORD_FILE" \
  --url "http://$RUN_HOST:$RUN_PORT/admin/")
persona_logins=""
if [ "$has_seed_demo" = 1 ]; then
  persona_logins=$("$PY" manage.py ensure_demo_logins --password-file "$DEMO_PASSWORDS_FILE" \
    --url "http://$RUN_HOST:$RUN_PORT/admin/")
fi

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

if [ "$has_sandbox" = 1 ]; then
  "$PY" manage.py sandbox_providers --host 127.0.0.1 --port "$SANDBOX_PORT" \
    --accounts "$DEMO_ACCOUNTS" --seed "$DEMO_SEED" &
  sandbox_pid=$!
  pids+=("$sandbox_pid")
  for _ in $(seq 1 50); do
    port_open 127.0.0.1 "$SANDBOX_PORT" && break
    kill -0 "$sandbox_pid" 2>/dev/null || break
    sleep 0.2
  done
  if port_open 127.0.0.1 "$SANDBOX_PORT" && kill -0 "$sandbox_pid" 2>/dev/null; then
    export SANDBOX_PROVIDERS_URL="http://127.0.0.1:$SANDBOX_PORT"
    echo "== sandbox providers: $SANDBOX_PROVIDERS_URL"
    # One connection per provider pointing at it, so trigger_sync works in the demo.
    "$PY" manage.py connect_sandbox --url "$SANDBOX_PROVIDERS_URL" --user admin
  else
    echo "ERROR: the sandbox providers did not start on port $SANDBOX_PORT (see above);" \
      "pick another port with SANDBOX_PORT, e.g. \`SANDBOX_PORT=$((SANDBOX_PORT + 1)) make run\`." >&2
    exit 1
  fi
else
  echo "== sandbox providers: skipped (this version has no sandbox_providers command)"
fi

echo "$admin_login"
[ -z "$persona_logins" ] || echo "$persona_logins"
echo "== serving http://$RUN_HOST:$RUN_PORT/ (admin /admin/, API docs /api/docs/, MCP /mcp);" \
  "Ctrl-C stops"
# --insecure: serve the admin's static files although DEBUG is off (embedded mode only).
# --skip-checks: migrate has just run them.
"$PY" manage.py runserver "$RUN_HOST:$RUN_PORT" --noreload --insecure --skip-checks &
pids+=("$!")
# `wait` (not exec) keeps this shell alive to stop the sandbox when the server ends;
# it returns the server's exit status, which becomes ours.
wait "$!"
