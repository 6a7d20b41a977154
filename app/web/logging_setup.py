"""Log lines with a request id: JSON lines in production, readable text elsewhere.

Every request gets an id: the proxy's `X-Request-ID` when it is a sane token (nginx's
`$request_id`, a load balancer's trace id), otherwise a new random one. It is kept in `g.request_id`,
added to every log record written while the request runs (`RequestIdFilter`), and sent back in the
`X-Request-ID` response header, so one line in nginx's log, the app's log and the browser's network
panel can be matched.

Background work carries the id of the request that queued it: the task queue (app/tasks.py) adds
`current_request_id()` to every task queued during a request and the worker runs the task inside
`request_id_scope(request_id)`, so the worker's log lines carry the same id. Other background code
can do the same by hand: pass the id along and decorate the body with `carries_request_id` (which
takes it from a `request_id` keyword argument).

`LOG_FORMAT` chooses the format: `json` or `text`. Unset, the app logs JSON when served by gunicorn
and text otherwise (flask commands, tests, the development server). Phone numbers are masked in
every line this handler writes, whatever logged them.
"""

import contextlib
import contextvars
import functools
import logging
import re
import sys
import uuid
from collections.abc import Mapping

from flask import g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
# Mainland mobile numbers, with or without +86, and not inside a longer run of digits.
_PHONE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("leadloop_request_id", default=None)


_DIGIT_RUN = re.compile(r"\d{7,}")


def new_request_id() -> str:
    """32 hex characters without a long run of digits, which the phone redaction would mask."""
    while True:
        rid = uuid.uuid4().hex
        if not _DIGIT_RUN.search(rid):
            return rid


def sane_request_id(value: str | None) -> str | None:
    """The proxy's id when it is 8–128 characters of letters, digits and `._:-`; else None."""
    if value and _SANE_ID.fullmatch(value):
        return value
    return None


def current_request_id() -> str | None:
    """The id of the request being served, or of the request whose background work is running."""
    if has_request_context():
        rid = g.get("request_id")
        if rid:
            return rid
    return _request_id.get()


@contextlib.contextmanager
def request_id_scope(request_id: str | None):
    """Run a block (a background task) with `request_id` as the current request id."""
    token = _request_id.set(request_id or new_request_id())
    try:
        yield _request_id.get()
    finally:
        _request_id.reset(token)


def carries_request_id(fn):
    """Decorate a task body: its `request_id` keyword argument becomes the current request id."""

    @functools.wraps(fn)
    def wrapper(*args, request_id: str | None = None, **kwargs):
        with request_id_scope(request_id):
            return fn(*args, **kwargs)

    return wrapper


def mask_phones(text: str) -> str:
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


class RequestIdFilter(logging.Filter):
    """Add `request_id` to every record ("-" outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class AccessRequestIdFilter(logging.Filter):
    """gunicorn's access lines are written after the request: their id is the answer's
    X-Request-ID, one of the atoms the line is made of."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = "-"
        atoms = record.args
        if isinstance(atoms, Mapping):
            with contextlib.suppress(KeyError):
                rid = atoms["{x-request-id}o"] or "-"
        record.request_id = rid
        return True


def use_json_for_gunicorn(logger) -> None:
    """Give a gunicorn `Logger`'s own handlers (its error and access logs) the JSON format and a
    request id (deploy/gunicorn.conf.py calls this after gunicorn set them up)."""
    for log, request_filter in (
        (logger.error_log, RequestIdFilter()),
        (logger.access_log, AccessRequestIdFilter()),
    ):
        for handler in log.handlers:
            if getattr(handler, "_gunicorn", False):
                handler.setFormatter(make_formatter("json"))
                handler.addFilter(request_filter)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_phones(super().format(record))


class JsonLineFormatter(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_phones(super().format(record))


def make_formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        return JsonLineFormatter(
            JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}
        )
    return TextFormatter(TEXT_FORMAT)


def make_handler(kind: str, stream=None) -> logging.Handler:
    """A stream handler with the request-id filter and the chosen formatter."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(make_formatter(kind))
    return handler


def log_format(config) -> str:
    kind = (config.get("LOG_FORMAT") or "").strip().lower()
    if kind in {"json", "text"}:
        return kind
    return "json" if "gunicorn.arbiter" in sys.modules else "text"


def configure_logging(app) -> None:
    """Install one LeadLoop handler on the root logger (replaced, not doubled, by a second app)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_leadloop", False)]:
        root.removeHandler(handler)
    handler = make_handler(log_format(app.config))
    handler._leadloop = True
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    app.before_request_funcs.setdefault(None, []).insert(0, _assign_request_id)
    app.after_request(_send_request_id)


def _assign_request_id():
    g.request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()


def _send_request_id(response):
    rid = g.get("request_id")
    if rid:
        response.headers[REQUEST_ID_HEADER] = rid
    return response
