"""Daily aggregates the reports read instead of the raw rows (see app/reports/aggregates.py)."""

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

# The integer counters of one store × consultant × day × channel × grade (what each one counts is
# documented in app/reports/aggregates.py, next to the SQL that computes it).
COUNTERS = (
    "new_leads",
    "new_visited",
    "new_won",
    "followups",
    "effective",
    "m_phone",
    "m_sms",
    "m_wechat",
    "m_email",
    "m_visit",
    "m_showroom",
    "followed_leads",
    "visits",
    "first_visits",
    "return_visits",
    "retained",
    "test_drives",
    "people",
    "invitations",
    "defeat_requests",
    "won",
    "new_contacted",
    "contact_micros",
    "won_cycle_leads",
    "cycle_micros",
    "stayed_visits",
    "stay_micros",
)
# Counters of durations in microseconds: a day of a store sums many leads' hours or weeks, more
# than an Integer holds; an average is the sum over the count next to it, exact (no rounding).
BIG_COUNTERS = ("contact_micros", "cycle_micros", "stay_micros")
KEYS = ("store_id", "consultant_id", "day", "channel_id", "grade_id")
TOTAL_KEYS = ("store_id", "consultant_id", "day")
CHANNEL_KEYS = ("store_id", "day", "channel_id")
STORE_KEYS = ("store_id", "day")


def _counter(name: str):
    kind = BigInteger if name in BIG_COUNTERS else Integer
    return mapped_column(kind, nullable=False, default=0, server_default="0")


class DailyStat(db.Model):
    """One store × consultant × local day × source channel × grade. 0 stands for "none" in the
    consultant, channel and grade keys (a lead in the pool, a walk-in without a lead), so the
    primary key never holds NULL and an upsert always finds its row."""

    __tablename__ = "daily_stats"

    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    consultant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grade_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    __table_args__ = (Index("ix_daily_stats_day", "day", "store_id"),)


class DailyTotal(db.Model):
    """daily_stats summed over channel and grade: what a report without those filters reads."""

    __tablename__ = "daily_totals"

    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    consultant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    __table_args__ = (Index("ix_daily_totals_day", "day", "store_id"),)


class DailyChannel(db.Model):
    """daily_stats summed over consultant and grade: what a report of a store or of the group by
    source channel, or filtered by one, reads when it needs no consultant and no grade (a row per
    store, day and channel instead of one per consultant, channel and grade)."""

    __tablename__ = "daily_channels"

    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    __table_args__ = (Index("ix_daily_channels_day", "day", "store_id"),)


class DailyStore(db.Model):
    """daily_stats summed over consultant, channel and grade: one row per store and day, what a
    report of a store or of the group by period reads (trends, the headline figures, the
    comparison of stores)."""

    __tablename__ = "daily_stores"

    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    __table_args__ = (Index("ix_daily_stores_day", "day", "store_id"),)


class MonthlyTotal(db.Model):
    """daily_totals summed per store-local calendar month: `day` holds the month's first day. A
    report per consultant over whole months (the group's daily work and follow-ups for a month or a
    quarter) reads a row per consultant and month instead of one per consultant and day."""

    __tablename__ = "monthly_totals"
    by_month = True  # its `day` key is the month of daily_stats' day (app/reports/aggregates.py)

    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    consultant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    __table_args__ = (Index("ix_monthly_totals_day", "day", "store_id"),)


# The tables that hold daily_stats summed over some of its keys (by month for a table whose
# `by_month` is set), each kept with it in the same transaction and rebuilt from it
# (app/reports/aggregates.py).
ROLLUPS = (
    (DailyTotal, TOTAL_KEYS),
    (DailyChannel, CHANNEL_KEYS),
    (DailyStore, STORE_KEYS),
    (MonthlyTotal, TOTAL_KEYS),
)

for _name in COUNTERS:
    for _model, _keys in ((DailyStat, KEYS), *ROLLUPS):
        setattr(_model, _name, _counter(_name))


# ---- calendar periods: what counts distinct leads over a month or a quarter -------------------

# The counters of one scope × store × consultant × period × channel × grade × reach (documented in
# app/reports/periods.py, next to the SQL that computes them).
PERIOD_COUNTERS = ("leads", "followed_leads")
PERIOD_KEYS = (
    "period_kind",
    "period_start",
    "scope_id",
    "store_id",
    "consultant_id",
    "channel_id",
    "grade_id",
    "reach",
)
PERIOD_TOTAL_KEYS = ("period_kind", "period_start", "scope_id", "store_id", "consultant_id", "reach")
PERIOD_CHANNEL_KEYS = ("period_kind", "period_start", "scope_id", "store_id", "channel_id", "reach")
PERIOD_STORE_KEYS = ("period_kind", "period_start", "scope_id", "store_id", "reach")


class _PeriodKeys:
    """The keys every period table starts with (its primary key's first columns, which the reports
    look up): the calendar period (kind "M" month or "Q" quarter, and its first local day), the
    scope (0: the whole group; else the store the facts happened in) and the store."""

    period_kind: Mapped[str] = mapped_column(String(1), primary_key=True, sort_order=-4)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True, sort_order=-3)
    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-2)
    store_id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)


class PeriodStat(_PeriodKeys, db.Model):
    """One period × scope × store × consultant × source channel × grade × reach (the sort order of
    the furthest funnel stage): 0 stands for "none" in the consultant, channel and grade keys."""

    __tablename__ = "period_stats"

    consultant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grade_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reach: Mapped[int] = mapped_column(Integer, primary_key=True)


class PeriodTotal(_PeriodKeys, db.Model):
    """period_stats summed over channel and grade (a funnel per consultant, the leads followed)."""

    __tablename__ = "period_totals"

    consultant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reach: Mapped[int] = mapped_column(Integer, primary_key=True)


class PeriodChannel(_PeriodKeys, db.Model):
    """period_stats summed over consultant and grade (a funnel per source channel)."""

    __tablename__ = "period_channels"

    channel_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reach: Mapped[int] = mapped_column(Integer, primary_key=True)


class PeriodStore(_PeriodKeys, db.Model):
    """period_stats summed over consultant, channel and grade (a funnel of a store or the group)."""

    __tablename__ = "period_stores"

    reach: Mapped[int] = mapped_column(Integer, primary_key=True)


PERIOD_ROLLUPS = (
    (PeriodTotal, PERIOD_TOTAL_KEYS),
    (PeriodChannel, PERIOD_CHANNEL_KEYS),
    (PeriodStore, PERIOD_STORE_KEYS),
)

for _name in PERIOD_COUNTERS:
    for _model in (PeriodStat, PeriodTotal, PeriodChannel, PeriodStore):
        setattr(_model, _name, _counter(_name))


# ---- today's open work: each consultant's open leads, kept as counts ---------------------------

# The keys and counters of one store × owner × grade × month of the last effective follow-up
# (documented in app/reports/open_work.py, next to the SQL that computes them).
OPEN_WORK_KEYS = ("store_id", "owner_id", "grade_id", "followed_month")
OPEN_WORK_COUNTERS = ("open_leads", "no_plan")


class OpenWork(db.Model):
    """Open leads (in an open stage, owned, not merged) per store × owner × grade × store-local
    month of their last effective follow-up (`NEVER_FOLLOWED` when there was none)."""

    __tablename__ = "open_work"

    store_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grade_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    followed_month: Mapped[date] = mapped_column(Date, primary_key=True)


NEVER_FOLLOWED = date(1970, 1, 1)  # the followed_month of a lead never followed up effectively

for _name in OPEN_WORK_COUNTERS:
    setattr(OpenWork, _name, _counter(_name))
