"""Friendly error pages in the user's language; JSON problem details for the API."""

import logging

from flask import jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from werkzeug.exceptions import HTTPException

from app.web import htmx

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


def database_unavailable(error: BaseException) -> bool:
    """Tell whether an exception means the database could not be reached (not a bug in a page)."""
    if isinstance(error, OperationalError | DisconnectionError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _rollback_quietly() -> None:
    from app.extensions import db

    for _attempt in range(2):  # on a dead connection the first rollback may fail
        try:
            db.session.rollback()
            return
        except Exception:  # noqa: BLE001, S112 - the connection is gone; the pool replaces it on next use
            continue


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _kept_headers(error: HTTPException) -> list[tuple[str, str]]:
    """Return the headers the exception itself carries (Allow on 405, WWW-Authenticate on 401, ...)."""
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if htmx.from_htmx():
            # Stale page on a tablet: reload it to get a fresh token.
            return htmx.set_refresh(
                app.response_class(_("Your page had expired; it has been reloaded."), status=400)
            )
        return render_template(
            "errors/error.html",
            code=400,
            title=_("This form has expired"),
            message=_("Please go back, reload the page and try again."),
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if code == 413:
            drain_request_body()
        if _wants_json():
            body = {"type": "about:blank", "title": error.name, "status": code, "detail": error.description}
            response = jsonify(body)
            response.status_code = code
            response.content_type = "application/problem+json"
            response.headers.extend(_kept_headers(error))
            return response
        titles = {
            403: _("You do not have access to this page"),
            404: _("Page not found"),
            405: _("This action is not allowed here"),
            410: _("This link has expired"),
            413: _("The file is too large"),
            429: _("Too many attempts"),
        }
        messages = {
            403: _("Ask your manager or administrator if you need access."),
            404: _("The page does not exist or you are not allowed to see it."),
            410: _("Please contact the store for a new link."),
            413: _(
                "Please upload a smaller file (at most %(mb)s MB).",
                mb=(app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024),
            ),
            429: _("Please wait a few minutes and try again."),
        }
        title = titles.get(code, error.name)
        message = messages.get(code, "")
        headers = _kept_headers(error)
        if htmx.from_htmx():
            response = make_response(
                render_template("errors/_error_fragment.html", code=code, title=title, message=message), code
            )
            response.headers.extend(headers)
            if code == 413:  # htmx does not swap errors: the page shows this as a toast
                toast(response, title, message)
            return response
        return render_template("errors/error.html", code=code, title=title, message=message), code, headers

    @app.errorhandler(Exception)
    def server_error(error):
        if database_unavailable(error):
            return unavailable(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        _rollback_quietly()
        if _wants_json():
            response = jsonify({"type": "about:blank", "title": "Internal Server Error", "status": 500})
            response.status_code = 500
            response.content_type = "application/problem+json"
            return response
        return render_template(
            "errors/error.html",
            code=500,
            title=_("Something went wrong"),
            message=_("The error has been logged. Please try again in a moment."),
        ), 500


def unavailable(error):
    """503 with Retry-After when the database is out of reach: a page that needs no database."""
    log.warning("database unavailable on %s %s: %s", request.method, request.path, type(error).__name__)
    _rollback_quietly()
    title = _("The service is briefly unavailable")
    message = _(
        "The database cannot be reached right now. Please try again in a moment; if you were "
        "saving something, check whether it was saved."
    )
    if _wants_json():
        response = jsonify(
            {
                "type": "about:blank",
                "title": "Service Unavailable",
                "status": 503,
                "detail": "The database is unavailable; retry later.",
            }
        )
        response.content_type = "application/problem+json"
    else:
        # Straight from the template environment: the usual context (navigation, the user's name)
        # would need the database.
        from flask import current_app, session

        env = current_app.jinja_env
        name = "errors/_error_fragment.html" if htmx.from_htmx() else "errors/unavailable.html"
        lang = "en" if str(session.get("locale", "")).startswith("en") else "zh-CN"
        response = make_response(
            env.get_template(name).render(code=503, title=title, message=message, html_lang=lang)
        )
        if htmx.from_htmx():
            toast(response, title, message)
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def toast(response, title: str, message: str) -> None:
    """Ask the page (static/js/app.js) to show a message for an htmx request that failed."""
    htmx.trigger(response, {"toast": f"{title} {message}".strip()})


def drain_request_body(limit: int = 64 * 1024 * 1024) -> None:
    """Read and discard an upload refused as too large, so the client gets the 413 page.

    A server that answers without reading the body closes a socket with unread data, and the
    browser sees a connection reset instead of the answer. Bodies over `limit` are not read.
    """
    stream = request.environ.get("wsgi.input")
    length = request.content_length
    if stream is None or length is None or length > limit:
        return
    remaining = length
    try:
        while remaining > 0:
            chunk = stream.read(min(remaining, 64 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)
    except (OSError, ValueError):
        return
