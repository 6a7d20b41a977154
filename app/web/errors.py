"""Friendly error pages in the user's language; JSON problem details for the API."""

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _kept_headers(error: HTTPException) -> list[tuple[str, str]]:
    """Return the headers the exception itself carries (Allow on 405, WWW-Authenticate on 401, ...)."""
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        if request.headers.get("HX-Request"):
            # Stale page on a tablet: reload it to get a fresh token.
            response = app.response_class(_("Your page had expired; it has been reloaded."), status=400)
            response.headers["HX-Refresh"] = "true"
            return response
        return render_template("errors/error.html", code=400,
                               title=_("This form has expired"),
                               message=_("Please go back, reload the page and try again.")), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if _wants_json():
            body = {"type": "about:blank", "title": error.name, "status": code,
                    "detail": error.description}
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
            413: _("Please upload a smaller file."),
            429: _("Please wait a few minutes and try again."),
        }
        title = titles.get(code, error.name)
        message = messages.get(code, "")
        headers = _kept_headers(error)
        if request.headers.get("HX-Request"):
            return (render_template("errors/_error_fragment.html", code=code, title=title, message=message), code,
                    headers)
        return render_template("errors/error.html", code=code, title=title, message=message), code, headers

    @app.errorhandler(Exception)
    def server_error(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        from app.extensions import db

        db.session.rollback()
        if _wants_json():
            response = jsonify({"type": "about:blank", "title": "Internal Server Error", "status": 500})
            response.status_code = 500
            response.content_type = "application/problem+json"
            return response
        return render_template("errors/error.html", code=500,
                               title=_("Something went wrong"),
                               message=_("The error has been logged. Please try again in a moment.")), 500
