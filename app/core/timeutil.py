"""Time helpers: everything is stored in UTC and shown in the store's local zone.

This is the one place that answers "which zone / what time / which day is it" for a user, a
store or a record that belongs to a store. The only default zone is the `LEADLOOP_TIMEZONE`
setting (`TIMEZONE` in the app config). Pure rules still take `now` / `tz` parameters; their
callers get them from `zone_for`, `now_local` and `today_for`.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.config import default_timezone

DEFAULT_TZ = default_timezone()


def utcnow() -> datetime:
    """Return the current time as a naive UTC datetime (how the database stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def default_zone() -> str:
    """The configured zone: the app's TIMEZONE inside an app, else LEADLOOP_TIMEZONE."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.config.get("TIMEZONE") or DEFAULT_TZ
    return DEFAULT_TZ


def _store_zone(store_id: int | None) -> str | None:
    if not store_id:
        return None
    from app.accounts.models import Store
    from app.extensions import db

    store = db.session.get(Store, store_id)
    return store.timezone if store is not None else None


def zone_for(subject=None) -> str:
    """The time zone of a user, a store, a record with a `store_id`, or a store id.

    A store has its own zone; a user or a record (lead, event, visit, …) uses the zone of its
    store; anything without a store (a director, an administrator, no subject) uses the
    configured default.
    """
    if subject is None:
        zone = None
    elif isinstance(subject, str):
        zone = subject
    elif isinstance(subject, int):
        zone = _store_zone(subject)
    elif hasattr(subject, "timezone") and not hasattr(subject, "store_id"):
        zone = subject.timezone
    else:
        zone = _store_zone(getattr(subject, "store_id", None))
    return zone or default_zone()


def now_local(subject=None, now: datetime | None = None) -> datetime:
    """The current time (or naive UTC `now`) as an aware datetime in the subject's zone."""
    return to_local(now or utcnow(), zone_for(subject))


def today_for(subject=None, now: datetime | None = None) -> date:
    """Today's date where the user / store / record is (for naive UTC `now`, default the clock)."""
    return local_today(now or utcnow(), zone_for(subject))


def to_local(value: datetime | None, tz: str | None = None) -> datetime | None:
    """Convert a naive UTC datetime to an aware datetime in the given zone."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(tz or default_zone()))


def local_today(now: datetime | None = None, tz: str | None = None) -> date:
    """Return today's date in the given zone for a naive UTC `now`."""
    now = now or utcnow()
    return to_local(now, tz).date()


def local_to_utc(value: datetime, tz: str | None = None) -> datetime:
    """Convert a naive local datetime (as typed by a user) to naive UTC."""
    return value.replace(tzinfo=ZoneInfo(tz or default_zone())).astimezone(UTC).replace(tzinfo=None)


def local_midnight_utc(day: date, tz: str | None = None) -> datetime:
    """Return the naive UTC instant at which local `day` begins in zone `tz`."""
    return local_to_utc(datetime(day.year, day.month, day.day), tz)


def local_day_bounds(day: date, tz: str | None = None, days: int = 1) -> tuple[datetime, datetime]:
    """The naive UTC [start, end) of `days` local days beginning on `day`."""
    return local_midnight_utc(day, tz), local_midnight_utc(day + timedelta(days=days), tz)


def utc_offset_minutes(tz: str | None = None, when: datetime | None = None) -> int:
    """Minutes the zone is ahead of UTC at naive UTC `when` (now by default): 480 for Shanghai."""
    offset = to_local(when or utcnow(), tz).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0
