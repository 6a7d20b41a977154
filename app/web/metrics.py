"""Prometheus metrics at GET /metrics.

- `leadloop_http_request_duration_seconds{endpoint,method}`: a histogram per Flask endpoint name
  (never the raw path, so lead ids and tokens do not become series; unmatched URLs are `<none>`);
- `leadloop_http_requests_total{status}`: responses by status code;
- `leadloop_checkins_total`: door check-ins recorded (`count_checkin()`, called by the service);
- `leadloop_outbox_backlog` and `leadloop_queue_depth`: read from the database and the task queue
  when scraped (the queue gauge only when a queue is configured).

Access: with `METRICS_TOKEN` set, only `Authorization: Bearer <token>`; without it, only clients on
the loopback network (127.0.0.0/8, ::1). Behind a proxy, set TRUSTED_PROXIES so the client address
is the real one, or deny /metrics at the proxy.

Several gunicorn workers: set `PROMETHEUS_MULTIPROC_DIR` to an empty directory writable by the
workers (emptied at each start) before gunicorn starts; the counters are then kept in files there
and every worker answers for all of them. Use `deploy/gunicorn.conf.py`, whose `child_exit` hook
removes a dead worker's live files. Without the variable each process counts for itself.

Per request the cost is one `perf_counter()` and two dictionary look-ups plus two increments.
"""

import hmac
import ipaddress
import os
import time

from flask import Blueprint, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from app.web.access import public

bp = Blueprint("metrics", __name__)

BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUEST_SECONDS = Histogram(
    "leadloop_http_request_duration_seconds",
    "Time to answer a request, by endpoint",
    ["endpoint", "method"],
    buckets=BUCKETS,
)
RESPONSES = Counter("leadloop_http_requests_total", "Responses by status code", ["status"])
CHECKINS = Counter("leadloop_checkins_total", "Door check-ins recorded")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_timers: dict[tuple[str, str], object] = {}
_statuses: dict[int, object] = {}


def count_checkin() -> None:
    CHECKINS.inc()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class BacklogCollector:
    """Gauges read when scraped, in the app context of the /metrics request."""

    def collect(self):
        from app.web.readiness import outbox_backlog, queue_backlog

        outbox = GaugeMetricFamily("leadloop_outbox_backlog", "Messages queued in the outbox, not yet sent")
        outbox.add_metric([], outbox_backlog())
        yield outbox
        depth = queue_backlog()
        if depth is not None:
            queue = GaugeMetricFamily("leadloop_queue_depth", "Tasks waiting in the task queue")
            queue.add_metric([], depth)
            yield queue


def init_app(app) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_observe)
    app.register_blueprint(bp)


def _start():
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.get("metrics_started")
    if started is not None:
        method = request.method if request.method in _METHODS else "other"
        key = (request.endpoint or "<none>", method)
        timer = _timers.get(key)
        if timer is None:
            timer = _timers[key] = REQUEST_SECONDS.labels(*key)
        timer.observe(time.perf_counter() - started)
        status = _statuses.get(response.status_code)
        if status is None:
            status = _statuses[response.status_code] = RESPONSES.labels(str(response.status_code))
        status.inc()
    return response


def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def _authorize() -> None:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "")
        if not (sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].encode(), token.encode())):
            abort(Response("metrics token required\n", 401, {"WWW-Authenticate": "Bearer"}))
    elif not _loopback(request.remote_addr):
        abort(403)


def registry() -> CollectorRegistry:
    directory = multiprocess_dir()
    if directory:
        from prometheus_client import multiprocess

        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected, path=directory)
    else:
        collected = CollectorRegistry()
        collected.register(_Default())
    collected.register(BacklogCollector())
    return collected


class _Default:
    """The process's own metrics (the default registry), inside a per-scrape registry."""

    def collect(self):
        return REGISTRY.collect()


@bp.get("/metrics")
@public
def metrics():
    _authorize()
    return Response(generate_latest(registry()), mimetype=CONTENT_TYPE_LATEST)
