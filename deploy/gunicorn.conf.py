"""gunicorn settings for LeadLoop: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Command-line options override these. Environment: BIND (default 127.0.0.1:8000), WORKERS (4),
PROMETHEUS_MULTIPROC_DIR (a directory only the app servers of this host use: emptied at start;
a dead worker's live gauges are removed when it exits).
"""

import os
from pathlib import Path

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WORKERS", "4"))
timeout = 120
accesslog = "-"
# One line per request, with the id the app logs and returns in X-Request-ID.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
