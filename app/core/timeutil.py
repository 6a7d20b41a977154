"""Time helpers: everything is stored in UTC and shown in the store's local zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"


def utcnow() -> datetime:
    """Return the current time as a naive UTC datetime (how the database stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(value: datetime | None, tz: str = DEFAULT_TZ) -> datetime | None:
    """Convert a naive UTC datetime to an aware datetime in the given zone."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def local_today(now: datetime | None = None, tz: str = DEFAULT_TZ) -> date:
    """Return today's date in the given zone for a naive UTC `now`."""
    now = now or utcnow()
    return to_local(now, tz).date()


def local_to_utc(value: datetime, tz: str = DEFAULT_TZ) -> datetime:
    """Convert a naive local datetime (as typed by a user) to naive UTC."""
    return value.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).replace(tzinfo=None)
