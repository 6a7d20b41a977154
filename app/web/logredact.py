"""Keep personal data and secrets out of every log line.

Access logs (gunicorn, werkzeug) and the application's own records pass through `Redact`:
customer link tokens in paths (/r/<token>, /s/<token>, any long random path segment), query
string values, mainland mobile numbers and cookie or credential headers are replaced by
placeholders. gunicorn hands its access-log line a mapping of "atoms"; the filter keeps it a
mapping (a tuple there makes every access line fail with "format requires a mapping").
"""

import logging
import re
from collections.abc import Mapping

TOKEN_PATH = re.compile(r"/(r|s)/[^/?#\s\"]+")
LONG_SEGMENT = re.compile(r"/[A-Za-z0-9_\-]{20,}(?=[/?#\s\"]|$)")
QUERY_VALUE = re.compile(r"(\?|&)([^=&\s\"#]*)=[^&\s\"#]*")
PHONE = re.compile(r"(?<!\d)(?:(?:\+|%2B)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
# Header and environment atoms gunicorn offers to custom access-log formats that may carry
# credentials or personal data; they are written as "-".
SENSITIVE_HEADERS = {
    "cookie",
    "set-cookie",
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "x-webhook-token",
    "x-csrftoken",
    "referer",
    "hx-current-url",
}


def redact(text: str) -> str:
    """Return `text` with tokens in paths, query values and mobile numbers replaced."""
    text = TOKEN_PATH.sub(r"/\1/[token]", text)
    text = LONG_SEGMENT.sub("/[token]", text)
    text = QUERY_VALUE.sub(r"\1\2=[redacted]", text)
    return PHONE.sub("[phone]", text)


def _clean_atoms(atoms) -> None:
    """Redact gunicorn's access-log atoms in place (the mapping type is kept)."""
    for key in list(atoms.keys()):
        name = key.lower()
        if name.startswith("{"):
            header = name[1:].rsplit("}", 1)[0]
            if name.endswith("}e") or header in SENSITIVE_HEADERS:
                del atoms[key]
                continue
        if key == "f":  # the referer may be a token page
            atoms[key] = "-"
            continue
        value = dict.__getitem__(atoms, key) if isinstance(atoms, dict) else atoms[key]
        if isinstance(value, str):
            atoms[key] = redact("?" + value)[1:] if key == "q" else redact(value)


class Redact(logging.Filter):
    """Logging filter: redact a record's arguments (and message) before it is formatted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            args = record.args
            if isinstance(args, Mapping) and isinstance(args, dict):
                _clean_atoms(args)
            elif isinstance(args, Mapping):
                record.args = {k: redact(v) if isinstance(v, str) else v for k, v in args.items()}
            elif isinstance(args, tuple):
                record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
            if isinstance(record.msg, str):
                record.msg = redact(record.msg)
        except Exception:  # noqa: BLE001 - a log line must never be lost to the filter itself
            record.msg, record.args = "[log record withheld: it could not be redacted]", None
        return True


class RedactMessage(logging.Filter):
    """Handler filter for the application's records: redact the final message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_ACCESS = Redact()
_APP = RedactMessage()


def install() -> None:
    """Attach the filters: access loggers, the root logger's handlers and Flask's handler."""
    from flask.logging import default_handler

    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if _ACCESS not in logger.filters:
            logger.addFilter(_ACCESS)
    for handler in [*logging.getLogger().handlers, default_handler]:
        if _APP not in handler.filters:
            handler.addFilter(_APP)
