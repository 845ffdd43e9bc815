#!/usr/bin/env bash
# Serve the suite: a Celery worker in the background, the ASGI server (uvicorn) in front.
# Called by `make run` after migrate + seed_demo. Ctrl-C (or SIGTERM) stops both.
# In the embedded default nothing else is needed: SQLite and the Celery broker live under var/.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8000}"
CELERY_CONCURRENCY="${CELERY_CONCURRENCY:-2}"
QUEUES=default,asr,tts,image,video,vision

worker_pid=""
server_pid=""

stop() {
    trap - EXIT INT TERM
    for pid in $server_pid $worker_pid; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    # Celery finishes its current tasks on TERM (warm shutdown); give it a while, then insist.
    for _ in $(seq 1 "${STOP_GRACE_TENTHS:-300}"); do
        alive=""
        for pid in $server_pid $worker_pid; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ -z "$alive" ] && break
        sleep 0.1
    done
    for pid in $server_pid $worker_pid; do
        pkill -KILL -P "$pid" 2>/dev/null || true  # the worker's pool processes
        kill -KILL "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap 'stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

logins="${DEMO_LOGINS_FILE:-}"
cat <<EOF

  Telecom AI Suite
  Portal (staff):   http://127.0.0.1:${PORT}/
  Mobile (subscr.): http://127.0.0.1:${PORT}/m/login/   (the SMS code appears in this log)
  API:              http://127.0.0.1:${PORT}/api/v1/   docs: http://127.0.0.1:${PORT}/api/docs/
  Health:           http://127.0.0.1:${PORT}/healthz

EOF
if [ -n "$logins" ] && [ -s "$logins" ]; then
    sed 's/^/  /' "$logins"
else
    "$BIN/python" manage.py seed_demo | sed 's/^/  /'
fi
echo

# -B embeds celery beat for the products' periodic tasks (SLA sweeps, retention, stream watch).
mkdir -p var/celery
"$BIN/celery" -A suite worker -Q "$QUEUES" --concurrency "$CELERY_CONCURRENCY" \
    -B --schedule var/celery/beat-schedule \
    --without-mingle --without-gossip --without-heartbeat -l info &
worker_pid=$!

# Started as a child and waited on (rather than exec'd) so the traps above still run.
"$BIN/uvicorn" suite.asgi:application --host 127.0.0.1 --port "$PORT" --lifespan off &
server_pid=$!

# Whichever stops first ends the run; the EXIT trap then stops the other.
set +e
wait -n "$server_pid" "$worker_pid"
status=$?
set -e
exit "$status"
