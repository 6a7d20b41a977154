"""Languages: zh_CN by default, English second; per-user preference, then Accept-Language.

Each domain may keep its own catalogue under app/<domain>/translations; all are merged.
.po files are compiled to .mo at start-up when the .mo is missing or older.
"""

import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request, session
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)
APP_DIR = Path(__file__).resolve().parent.parent


def translation_dirs() -> list[str]:
    dirs = [APP_DIR / "translations"] + sorted(APP_DIR.glob("*/translations"))
    return [str(d) for d in dirs if d.is_dir()]


def compile_catalogs(dirs: list[str]) -> None:
    """Compile every messages.po whose .mo is missing or stale."""
    for directory in dirs:
        for po_path in Path(directory).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            try:
                with po_path.open("rb") as fh:
                    catalog = read_po(fh)
                with mo_path.open("wb") as fh:
                    write_mo(fh, catalog)
            except OSError as exc:  # read-only install: expect compiled catalogues
                log.warning("cannot compile %s: %s", po_path, exc)


def select_locale() -> str:
    """Pick the UI language: the user's choice, the session's, then the browser's."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # `flask jobs run`, CLI: messages go out in the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user_locale = _user_attr(lambda user: user.locale)
    if user_locale in languages:
        # Kept in the session too, so that a page answered without the database (503) still
        # speaks the user's language.
        if session.get("locale") != user_locale:
            session["locale"] = user_locale
        return user_locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    if request:
        best = request.accept_languages.best_match(["zh-CN", "zh", "en"], default="zh-CN")
        return "en" if best == "en" else "zh_CN"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    from app.core.timeutil import zone_for

    if not has_request_context():
        return zone_for(None)
    return _user_attr(zone_for) or zone_for(None)


def _user_attr(read):
    """Read something of the logged-in user, or None (anonymous, or the database out of reach)."""
    try:
        if getattr(current_user, "is_authenticated", False):
            return read(current_user)
    except SQLAlchemyError:
        return None
    return None


def init_app(app, babel) -> None:
    dirs = translation_dirs()
    compile_catalogs(dirs)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(dirs)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)


def memo_gettext():
    """A gettext for one page that writes the same sentence for many rows (the penalty rule of a
    thousand consultants): each message is looked up once, its values filled in per call, as
    Flask-Babel's gettext does."""
    from flask_babel import gettext

    seen: dict[str, str] = {}

    def _(string: str, **values) -> str:
        text = seen.get(string)
        if text is None:
            text = seen[string] = gettext(string)
        return text % values if values else text

    return _
