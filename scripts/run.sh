#!/usr/bin/env bash
# Serves LeadLoop on one machine: the task queue consumer (`flask worker`) in the background and
# gunicorn in the foreground. When gunicorn stops (Ctrl-C, a signal, a crash) the worker stops too.
# Usage: scripts/run.sh [port]   (BIN, WORKERS, HUEY_WORKERS and WORKER_STOP_SECONDS from the environment)
set -euo pipefail
port="${1:-5000}"
bin="${BIN:-.venv/bin}"

server=""
# The worker gets a process group of its own (job control on for this one command): a background
# command of a script otherwise starts with SIGINT ignored, and a Ctrl-C at the terminal would
# reach it besides the one SIGINT sent below (a second SIGINT cuts Huey's graceful stop short).
set -m
"$bin/flask" worker --workers "${HUEY_WORKERS:-2}" &
worker=$!
set +m
stop_worker() {
  kill -0 "$worker" 2>/dev/null || return 0
  kill -INT "$worker" 2>/dev/null || true  # graceful: the running tasks finish first
  # SIGTERM after WORKER_STOP_SECONDS: a task that does not end, or a worker still starting (a SIGINT
  # that arrives while the app loads can be lost). An import step cut off runs again at the next start.
  (sleep "${WORKER_STOP_SECONDS:-30}"; kill -TERM "$worker" 2>/dev/null || true) &
  local watchdog=$!
  wait "$worker" 2>/dev/null || true
  kill "$watchdog" 2>/dev/null || true
  wait "$watchdog" 2>/dev/null || true
}
stop_all() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  stop_worker
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# deploy/gunicorn.conf.py: threaded workers that keep connections alive, the access log on stdout
"$bin/gunicorn" -c deploy/gunicorn.conf.py --bind "127.0.0.1:$port" --workers "${WORKERS:-2}" 'wsgi:app' &
server=$!
wait "$server"
