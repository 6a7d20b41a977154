"""gunicorn settings for LeadLoop: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

Command-line options override these. Environment: BIND (default 127.0.0.1:8000), WORKERS (4),
THREADS (2 per worker), ACCESS_LOG (default "-", stdout; empty: no access log), PROMETHEUS_MULTIPROC_DIR (a directory only the app servers of this host use: emptied at start;
a dead worker's live gauges are removed when it exits), LOG_FORMAT (`json`, the default under
gunicorn, also turns gunicorn's own lines and its access lines into JSON objects with the
request id; `text` keeps gunicorn's formats).
"""

import os
from pathlib import Path

from gunicorn.glogging import Logger

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WORKERS", "4"))
# Threaded workers keep connections open between requests (HTTP keep-alive): a door tablet or a
# proxy sends its next request on the same connection. Sync workers close every connection after
# one response by design, so each request would pay a new TCP connection and a new accept.
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "2"))
keepalive = 75  # seconds an idle connection stays open; longer than nginx's upstream keepalive_timeout (60 s)
timeout = 120
accesslog = os.environ.get("ACCESS_LOG", "-") or None
# One line per request, with the id the app logs and returns in X-Request-ID.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'


class JsonLogger(Logger):
    """gunicorn's logger, writing JSON objects like the app (`time`, `level`, `logger`, `message`,
    `request_id`)."""

    def setup(self, cfg):
        super().setup(cfg)
        from app.web.logging_setup import use_json_for_gunicorn

        use_json_for_gunicorn(self)


if (os.environ.get("LOG_FORMAT") or "json").strip().lower() == "json":
    logger_class = JsonLogger


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
