"""Report filters: the period in local dates, the dimensions, and the user's scope applied on top."""

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from app.accounts.models import Role, User
from app.core.params import parse_date, parse_positive_int
from app.core.timeutil import (
    DEFAULT_TZ,
    local_midnight_utc,
    local_today,
    utc_offset_minutes,
    utcnow,
    zone_for,
)
from app.reports.rules import GRAINS, PERIOD_KINDS, Period, resolve_period

DIMENSIONS = ("store", "consultant", "channel", "grade", "model")


@dataclass(frozen=True)
class ReportFilter:
    user: User
    period: Period
    tz: str = DEFAULT_TZ
    store_ids: tuple[int, ...] | None = None  # None: the whole group
    consultant_id: int | None = None
    channel_id: int | None = None
    grade_id: int | None = None
    model_id: int | None = None
    grain: str = "day"
    by: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def utc_start(self) -> datetime:
        return _utc(self.period.start, self.tz)

    @property
    def utc_end(self) -> datetime:
        """Exclusive end: local midnight after the last day, in UTC."""
        return _utc(self.period.end + timedelta(days=1), self.tz)

    @property
    def offset_minutes(self) -> int:
        return utc_offset_minutes(self.tz, local_midnight_utc(self.period.start, self.tz))

    def with_period(self, period: Period) -> "ReportFilter":
        return replace(self, period=period)

    def as_dict(self) -> dict:
        """Return the filter as plain values (for the audit log and the export sheet)."""
        return {
            "period": self.period.kind,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "stores": list(self.store_ids) if self.store_ids is not None else "all",
            "consultant": self.consultant_id,
            "channel": self.channel_id,
            "grade": self.grade_id,
            "model": self.model_id,
            "grain": self.grain,
            "by": self.by,
        }


def _utc(day: date, tz: str) -> datetime:
    return local_midnight_utc(day, tz)


_int = parse_positive_int  # ids only (store, consultant, channel, grade, model)
_date = parse_date


def scoped_store_ids(user: User, requested: int | None) -> tuple[int, ...] | None:
    """Return the stores a report covers: the user's own store unless they see the group."""
    if user.role in {Role.DIRECTOR, Role.ADMIN}:
        return (requested,) if requested else None
    return (user.store_id,) if user.store_id else ()


def build_filter(user: User, args, now: datetime | None = None, default_kind: str = "month") -> ReportFilter:
    """Build the filter from query arguments, forcing the user's scope on top of them."""
    tz = zone_for(user)
    today = local_today(now or utcnow(), tz)
    kind = args.get("period") or default_kind
    if kind not in PERIOD_KINDS:
        kind = default_kind
    anchor = _date(args.get("date")) or today
    if kind == "month" and args.get("month"):
        anchor = _date(args.get("month") + "-01") or anchor
    period = resolve_period(kind, anchor, _date(args.get("start")), _date(args.get("end")))
    if period.kind == "custom" and period.days > 800:  # keep custom ranges to about two years
        period = Period("custom", period.end - timedelta(days=799), period.end)
    grain = args.get("grain") if args.get("grain") in GRAINS else _default_grain(period)
    consultant = _int(args.get("consultant"))
    if user.role == Role.CONSULTANT:
        consultant = user.id
    return ReportFilter(
        user=user,
        period=period,
        tz=tz,
        store_ids=scoped_store_ids(user, _int(args.get("store")) or _store_id_of(args.get("store_code"))),
        consultant_id=consultant,
        channel_id=_int(args.get("channel")),
        grade_id=_int(args.get("grade")),
        model_id=_int(args.get("model")),
        grain=grain,
        by=(args.get("by") or "")[:16],
    )


def _store_id_of(code: str | None) -> int | None:
    """Accept ?store_code=BJ01 as well as ?store=<id> (links and bookmarks read better)."""
    if not code:
        return None
    from sqlalchemy import select

    from app.accounts.models import Store
    from app.extensions import db

    return db.session.execute(select(Store.id).where(Store.code == code[:32])).scalar()


def _default_grain(period: Period) -> str:
    if period.days > 120:
        return "month"
    if period.days > 35:
        return "week"
    return "day"
