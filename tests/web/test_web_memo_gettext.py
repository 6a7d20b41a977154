"""A page's memoising gettext says what Flask-Babel's gettext says, looking each message up once."""

from datetime import date

import flask_babel
from flask_babel import force_locale, gettext

from app.followups import penalties
from app.web.i18n import memo_gettext


def test_memo_gettext_translates_fills_in_values_and_looks_up_once(app, monkeypatch):
    with app.test_request_context(), force_locale("zh_CN"):
        say = memo_gettext()
        assert say("manager") == gettext("manager") != "manager"
        assert say("%(n)s violations", n=3) == gettext("%(n)s violations", n=3)
        assert say("%(n)s violations", n=4) == gettext("%(n)s violations", n=4)
        rules = penalties.penalty_rules(None)
        penalty = penalties.person_penalty({date(2026, 11, 3): 3}, rules)
        assert penalties.explain(penalty, rules, say) == penalties.explain(penalty, rules, gettext)

        calls = []
        monkeypatch.setattr(flask_babel, "gettext", lambda s, **v: calls.append(s) or s)
        once = memo_gettext()
        for n in range(5):
            once("%(n)s violations", n=n)
        assert calls == ["%(n)s violations"]
