#!/usr/bin/env bash
# Serve the suite: the host's language-model server (llama.cpp with the bundled Qwen2.5, unless
# AI_CHAT_URL names another server or AI_LOCAL_LLM=none), two Celery workers (jobs; live-stream
# watchers), the ASGI server (uvicorn) in front.
# Called by `make run` after migrate + seed_demo. Ctrl-C (or SIGTERM) stops them all.
# In the embedded default nothing else is needed: SQLite and the Celery broker live under var/.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8000}"
CELERY_CONCURRENCY="${CELERY_CONCURRENCY:-2}"
CELERY_STREAM_CONCURRENCY="${CELERY_STREAM_CONCURRENCY:-1}"
# Users' jobs. The camera watchers (a minute-long stretch per stream, every minute) have their
# own queue and worker below, so they can never keep an upload or a render waiting.
QUEUES=default,asr,tts,image,video,vision
STREAM_QUEUES=streams

# The model server requires a key; web and workers inherit it from this environment.
if [ -z "${AI_CHAT_URL:-}" ]; then
    export AI_LOCAL_LLM="${AI_LOCAL_LLM:-qwen2.5-1.5b}"
    [ "$AI_LOCAL_LLM" = none ] && export AI_LOCAL_LLM=""
fi
export AI_CHAT_API_KEY="${AI_CHAT_API_KEY:-$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(32))')}"

llm_pid=""
worker_pid=""
streams_pid=""
server_pid=""

stop() {
    trap - EXIT INT TERM
    for pid in $server_pid $worker_pid $streams_pid $llm_pid; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    # Celery finishes its current tasks on TERM (warm shutdown); give it a while, then insist.
    for _ in $(seq 1 "${STOP_GRACE_TENTHS:-300}"); do
        alive=""
        for pid in $server_pid $worker_pid $streams_pid $llm_pid; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ -z "$alive" ] && break
        sleep 0.1
    done
    for pid in $server_pid $worker_pid $streams_pid $llm_pid; do
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

if [ -n "${AI_LOCAL_LLM:-}" ]; then
    # Until it has loaded (seconds; the first start also joins the weights), answers come from
    # the labelled extractive fallback.
    # llama.cpp logs every request on stderr; keep it out of the console.
    "$BIN/python" manage.py serve_llm 2>var/llm-server.log &
    llm_pid=$!
fi

# -B embeds celery beat for the products' periodic tasks (SLA sweeps, retention, stream watch).
mkdir -p var/celery
"$BIN/celery" -A suite worker -Q "$QUEUES" --concurrency "$CELERY_CONCURRENCY" -n jobs@%h \
    -B --schedule var/celery/beat-schedule \
    --without-mingle --without-gossip --without-heartbeat -l info &
worker_pid=$!
"$BIN/celery" -A suite worker -Q "$STREAM_QUEUES" --concurrency "$CELERY_STREAM_CONCURRENCY" \
    -n streams@%h --without-mingle --without-gossip --without-heartbeat -l info &
streams_pid=$!

# Started as a child and waited on (rather than exec'd) so the traps above still run.
# --no-proxy-headers: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1, i.e. from
# anyone reaching this port; the suite applies TRUSTED_PROXIES itself (client_ip).
"$BIN/uvicorn" suite.asgi:application --host 127.0.0.1 --port "$PORT" --lifespan off \
    --no-proxy-headers &
server_pid=$!

# Whichever stops first ends the run; the EXIT trap then stops the other.
set +e
# The model server is not among them: without it answers come from the labelled fallback.
wait -n "$server_pid" "$worker_pid" "$streams_pid"
status=$?
set -e
exit "$status"
