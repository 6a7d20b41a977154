"""Jinja globals and filters shared by every template."""

import mimetypes
from datetime import datetime

from flask import current_app, request, url_for
from flask_babel import format_date, format_datetime, get_locale, to_user_timezone
from flask_login import current_user
from markupsafe import Markup

from app.core.linkify import linkify
from app.core.money import wan, wan_range, yuan
from app.core.phones import format_phone, mask_phone
from app.followups.workload_text import workload_span, workload_text
from app.web.labels import gender_label, status_label
from app.web.navigation import nav_items, tab_items
from app.web.permissions import can, may_see_phone
from app.web.urls import paths_for

# The default patterns are digits only, the same in every language: written directly, they cost a
# fraction of a Babel pattern's formatting (a list page prints a few per row).
ISO_DATE, ISO_MINUTE = "yyyy-MM-dd", "yyyy-MM-dd HH:mm"


def minute_text(local: datetime) -> str:
    """A local time to the minute as every page shows it: 2026-11-01 10:30."""
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"


def clock_text(local: datetime) -> str:
    """A local time of day as every page shows it: 10:30."""
    return f"{local.hour:02d}:{local.minute:02d}"


def local_datetime(value, fmt: str = ISO_MINUTE) -> str:
    """A stored UTC timestamp in the user's time zone (the `dt` filter); empty for none."""
    if not value:
        return ""
    if fmt == ISO_MINUTE and isinstance(value, datetime):
        return minute_text(to_user_timezone(value))
    return format_datetime(value, fmt)


def local_date(value, fmt: str = ISO_DATE) -> str:
    """A date, or a stored UTC timestamp's date in the user's time zone (the `d` filter); empty for none."""
    if not value:
        return ""
    if fmt == ISO_DATE:
        if isinstance(value, datetime):
            value = to_user_timezone(value)
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    return format_date(value, fmt)


def local_time(value) -> str:
    """The user's local HH:MM of a stored UTC timestamp (the `hm` filter); empty for none."""
    return clock_text(to_user_timezone(value)) if value else ""


def capped_count(value, capped: bool = False, cap: int | None = None) -> str:
    """A count with thousands separators; "1,000+" when the count stopped at its cap.

    `capped` says so directly (the lead list counts cap + 1 rows); with `cap`, reaching it means
    there may be more (counts taken with LIMIT cap).
    """
    if value is None:
        return ""
    more = capped or (cap is not None and int(value) >= cap)
    return f"{int(value):,}{'+' if more else ''}"


def init_app(app) -> None:
    # base.html links the web app manifest; serve it with its own type (nosniff is on).
    mimetypes.add_type("application/manifest+json", ".webmanifest")
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["phone"] = format_phone
    app.jinja_env.filters["dt"] = local_datetime
    app.jinja_env.filters["d"] = local_date
    app.jinja_env.filters["hm"] = local_time
    app.jinja_env.filters["money"] = yuan
    app.jinja_env.filters["wan"] = lambda v, symbol=True: wan(v, get_locale(), symbol)
    app.jinja_env.filters["count"] = capped_count
    app.jinja_env.filters["linkify"] = linkify
    app.jinja_env.filters["status_label"] = status_label
    app.jinja_env.filters["gender_label"] = gender_label
    app.jinja_env.globals["budget"] = lambda low, high: wan_range(low, high, get_locale())
    app.jinja_env.filters["label"] = lambda obj: obj.label(str(get_locale())) if obj else ""
    app.jinja_env.globals["can"] = lambda action: can(current_user, action)
    app.jinja_env.globals["sees_full_phone"] = lambda lead: may_see_phone(current_user, lead)
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["paths_for"] = paths_for  # id -> path for a page of rows (one url_for)
    app.jinja_env.globals["workload_text"] = workload_text
    app.jinja_env.globals["workload_span"] = workload_span
    app.jinja_env.add_extension("jinja2.ext.do")
    app.context_processor(_context)


class _OnFirstUse:
    """A list computed when a template first reads it: a fragment that never shows the menu or
    the tab bar (most HTMX answers) does not work out which entries the user may use."""

    __slots__ = ("_build", "_items")

    def __init__(self, build) -> None:
        self._build, self._items = build, None

    def _list(self) -> list:
        if self._items is None:
            self._items = self._build()
        return self._items

    def __iter__(self):
        return iter(self._list())

    def __len__(self) -> int:
        return len(self._list())

    def __bool__(self) -> bool:
        return bool(self._list())


def _for_signed_in(build):
    """The menu of a signed-in user; none before a needed second factor (its pages are not open yet)."""
    from app.web.sessions import second_factor_pending

    return _OnFirstUse(
        lambda: build(current_user) if current_user.is_authenticated and not second_factor_pending() else []
    )


def _context():
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return {
        "nav_items": _for_signed_in(nav_items),
        "tab_items": _for_signed_in(tab_items),
        "current_locale": locale,
        "html_lang": "zh-CN" if locale.startswith("zh") else "en",
        "icon": _icon,
    }


def url_with(**changes) -> str:
    """Return the current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = [value]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def _icon(name: str) -> Markup:
    return Markup('<span class="icon icon-{}" aria-hidden="true"></span>').format(name)
