"""Every user-facing message has a Chinese translation (the default UI language)."""

from app.web.i18n_check import missing_translations


def test_every_message_has_a_chinese_translation():
    missing = missing_translations("zh")
    listing = "\n".join(f"{msgid!r} ({where[0]})" for msgid, where in sorted(missing.items()))
    assert not missing, f"add these to a zh catalogue (python -m app.web.po_tool ...):\n{listing}"
