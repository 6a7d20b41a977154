"""Find user-facing messages that have no translation (used by a test and `flask i18n`)."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

ROOT = Path(__file__).resolve().parent.parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "pgettext": ((1, "c"), 2),
}


def extracted_messages() -> dict[str, list[str]]:
    """Return msgid -> list of 'file:line' from app/ and templates/."""
    found: dict[str, list[str]] = {}
    sources = [
        (ROOT / "app", [("**.py", "python")]),
        (ROOT / "templates", [("**.html", "jinja2"), ("**.txt", "jinja2")]),
    ]
    for directory, method_map in sources:
        for filename, lineno, message, _comments, _context in (
            extract_from_dir(
                str(directory),
                method_map=method_map,
                keywords=KEYWORDS,
                options_map={
                    "**.html": {"extensions": "jinja2.ext.do"},
                    "**.txt": {"extensions": "jinja2.ext.do"},
                },
                callback=None,
                strip_comment_tags=True,
            )
            if directory.name == "app"
            else _extract_templates(directory)
        ):
            ids = message if isinstance(message, tuple) else (message,)
            for msgid in ids:
                if msgid:
                    found.setdefault(msgid, []).append(f"{directory.name}/{filename}:{lineno}")
    return found


def _extract_templates(directory: Path):
    for path in sorted(directory.rglob("*.html")) + sorted(directory.rglob("*.txt")):
        with path.open("rb") as fh:
            for lineno, _func, message, comments in babel_extract(
                fh, KEYWORDS.keys(), [], {"extensions": "jinja2.ext.do"}
            ):
                yield str(path.relative_to(directory)), lineno, message, comments, None


def catalog_translations(locale: str) -> dict[str, str]:
    """Return every msgid -> translation across all catalogues for the locale."""
    from app.web.i18n import translation_dirs

    merged: dict[str, str] = {}
    for directory in translation_dirs():
        po = Path(directory) / locale / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            value = message.string if isinstance(message.string, str) else (message.string or [""])[0]
            if value and not message.fuzzy:
                merged.setdefault(key, value)
    return merged


def missing_translations(locale: str = "zh") -> dict[str, list[str]]:
    translated = catalog_translations(locale)
    return {msgid: where for msgid, where in extracted_messages().items() if msgid not in translated}
