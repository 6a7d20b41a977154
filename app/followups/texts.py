"""Translated text that also works outside a request (jobs, CLI): the default UI language then."""

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _gettext


def gettext(message: str, **variables) -> str:
    """Translate `message` for the current request, or in the default language without one."""
    if has_request_context():
        return _gettext(message, **variables)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        return _gettext(message, **variables)
