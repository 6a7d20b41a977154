"""Every user-facing message has a Chinese translation (the default UI language)."""

from app.web.i18n_check import missing_translations


def test_every_message_has_a_chinese_translation():
    missing = missing_translations("zh")
    listing = "\n".join(f"{msgid!r} ({where[0]})" for msgid, where in sorted(missing.items()))
    assert not missing, f"add these to a zh catalogue (python -m app.web.po_tool ...):\n{listing}"


def test_a_message_reads_the_same_in_every_domain():
    # Catalogues are merged, the last one winning: two wordings for one message id would make
    # a page show another domain's wording. Use a more specific message id instead.
    from pathlib import Path

    from babel.messages.pofile import read_po

    from app.web.i18n import translation_dirs

    seen: dict[str, dict[str, str]] = {}
    for directory in translation_dirs():
        po = Path(directory) / "zh" / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            continue
        with po.open("rb") as fh:
            for message in read_po(fh):
                if message.id and isinstance(message.id, str) and message.string:
                    seen.setdefault(message.id, {})[directory] = message.string
    different = {msgid: wordings for msgid, wordings in seen.items() if len(set(wordings.values())) > 1}
    assert not different, different


def test_messages_outside_a_request_use_the_default_language(app):
    # Periodic jobs (`flask jobs run`) translate e-mail and SMS texts with no request at all.
    from flask_babel import force_locale, gettext, refresh

    refresh()
    assert gettext("Dashboard") == "工作台"
    with force_locale("en"):
        assert gettext("Dashboard") == "Dashboard"
