#!/usr/bin/env bash
# Serves LeadLoop on one machine: the task queue consumer (`flask worker`) in the background and
# gunicorn in the foreground. When gunicorn stops (Ctrl-C, a signal, a crash) the worker stops too.
# Usage: scripts/run.sh [port]   (BIN, WORKERS and HUEY_WORKERS from the environment)
set -euo pipefail
port="${1:-5000}"
bin="${BIN:-.venv/bin}"

server=""
"$bin/flask" worker --workers "${HUEY_WORKERS:-2}" &
worker=$!
stop_all() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  if kill -0 "$worker" 2>/dev/null; then
    kill -INT "$worker" 2>/dev/null || true  # graceful: the running tasks finish first
    wait "$worker" 2>/dev/null || true
  fi
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# deploy/gunicorn.conf.py: threaded workers that keep connections alive, the access log on stdout
"$bin/gunicorn" -c deploy/gunicorn.conf.py --bind "127.0.0.1:$port" --workers "${WORKERS:-2}" 'wsgi:app' &
server=$!
wait "$server"
