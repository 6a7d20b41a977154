"""The `d` and `dt` filters write their default patterns directly: the same text as Babel's, in
the user's time zone, for dates and for stored UTC timestamps either side of local midnight."""

from datetime import date, datetime

import pytest
from flask_babel import format_date, format_datetime, get_locale, get_timezone, refresh

from app.web.templating import local_date, local_datetime

VALUES = [
    datetime(2026, 11, 30, 15, 59),  # 23:59 in Shanghai
    datetime(2026, 11, 30, 16, 0),  # 00:00 the next day in Shanghai
    datetime(999, 1, 2, 3, 4),
    date(2026, 2, 28),
    date(999, 12, 31),
]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York"])
def test_default_patterns_match_babel(app, monkeypatch, locale, zone):
    monkeypatch.setattr(app.extensions["babel"], "timezone_selector", lambda: zone)
    monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: locale)
    with app.test_request_context("/"):
        refresh()
        assert str(get_timezone()) == zone and get_locale().language == locale[:2]
        for value in VALUES:
            assert local_date(value) == format_date(value, "yyyy-MM-dd")
            if isinstance(value, datetime):
                assert local_datetime(value) == format_datetime(value, "yyyy-MM-dd HH:mm")
        assert local_date(None) == local_datetime(None) == ""
        assert local_date(VALUES[0], "MM-dd") == format_date(VALUES[0], "MM-dd")
