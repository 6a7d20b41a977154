"""Refuse request values that no database column can store, before any view reads them.

A NUL character cannot be stored in a PostgreSQL text column (the driver raises) and is never typed
by a person; it arrives from scripts and broken clients.  Every query-string value, form field, URL
segment and JSON string is checked once here, so no form or filter parser has to remember it.
"""

from flask import jsonify, render_template, request
from flask_babel import gettext as _

from app.web import htmx

NUL = "\x00"


def _json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _json_strings(key)
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _values():
    for key, values in request.args.lists():
        yield key
        yield from values
    if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
        if request.is_json:
            if not request.path.startswith("/api/"):  # the API checks its own JSON (422 per field)
                yield from _json_strings(request.get_json(silent=True))
        else:
            for key, values in request.form.lists():
                yield key
                yield from values
    for value in (request.view_args or {}).values():
        if isinstance(value, str):
            yield value


def has_nul() -> bool:
    return any(NUL in value for value in _values())


def reject_nul_characters():
    """before_request: answer 400 when any value carries a NUL character."""
    if not has_nul():
        return None
    title = _("This request could not be read")
    message = _(
        "It contained a character that cannot be saved (a NUL character). Check what was typed or pasted."
    )
    if request.path.startswith("/api/"):
        response = jsonify({"type": "about:blank", "title": title, "status": 400, "detail": message})
        response.status_code = 400
        response.content_type = "application/problem+json"
        return response
    if htmx.from_htmx():
        return render_template("errors/_error_fragment.html", code=400, title=title, message=message), 400
    return render_template("errors/error.html", code=400, title=title, message=message), 400


def init_app(app) -> None:
    app.before_request(reject_nul_characters)
