"""Report figures read from the calendar-period aggregates (period_stats and its rollups,
app/reports/periods.py): the figures that count distinct leads over a whole month or quarter.

`queries.funnel` and `queries._followed_leads` read them when the filter's period is exactly one
calendar month or quarter and the filter can be answered from the aggregates' keys (`usable`), and
count the raw rows otherwise, so each figure keeps one definition whichever source answers it.
"""

from datetime import date, timedelta

from sqlalchemy import case, func, select

from app.accounts.models import Role
from app.extensions import db
from app.reports import queries_daily as daily
from app.reports.aggregates import day_literal
from app.reports.models import PeriodChannel, PeriodStat, PeriodStore, PeriodTotal
from app.reports.rules import Period, add_months, month_end, quarter_start
from app.reports.scope import has_lead_dimensions, stage_changes_need_leads


def calendar_period(period: Period) -> tuple[str, date] | None:
    """("M", first day) for a calendar month, ("Q", first day) for a calendar quarter, else None
    (whatever the period's kind says: a custom period of a whole month is that month)."""
    first = period.start
    if first.day != 1:
        return None
    if period.end == month_end(first):
        return "M", first
    if first == quarter_start(first) and period.end == add_months(first, 3) - timedelta(days=1):
        return "Q", first
    return None


def usable(f) -> bool:
    """Whether the period aggregates answer this filter as the raw rows would: a calendar month or
    quarter, the whole group or one store (a lead with facts in two stores counts once in each
    store's scope and once in the group's, so scopes do not add up), and what `daily.usable`
    asks of every aggregate (no vehicle model, a store-scoped role or a consultant without lead
    dimensions, every store in scope in the report's zone)."""
    if calendar_period(f.period) is None:
        return False
    return (f.store_ids is None or len(f.store_ids) <= 1) and daily.usable(f)


def _where(t, f) -> list:
    kind, start = calendar_period(f.period)
    scope = t.scope_id == 0 if f.store_ids is None else t.scope_id.in_(f.store_ids)
    return [t.period_kind == kind, t.period_start == day_literal(start), scope]


def _funnel_table(f, by: str | None):
    """The coarsest table whose keys carry the filter and the grouping (as `daily._table`)."""
    if not (f.consultant_id or f.grade_id or by == "consultant"):
        return PeriodChannel if (f.channel_id or by == "channel") else PeriodStore
    if not (f.channel_id or f.grade_id or by == "channel"):
        return PeriodTotal
    return PeriodStat


def funnel(f, by: str | None, steps: list) -> list[dict]:
    """`queries.funnel`'s rows: per funnel step (`s<id>`) the leads whose furthest stage in the
    period is at or beyond it, overall or per store, consultant or channel (`key`, None for none).

    Stage changes limited by their lead's conditions (`stage_changes_need_leads`) count only for
    leads now in the filter's store, as the raw query joins them."""
    t = _funnel_table(f, by)
    conds = _where(t, f)
    if stage_changes_need_leads(f) and f.store_ids is not None:
        conds.append(t.store_id.in_(f.store_ids))
    conds += daily.key_conditions(t, f)
    columns = [
        func.coalesce(func.sum(case((t.reach >= s.sort_order, t.leads), else_=0)), 0).label(f"s{s.id}")
        for s in steps
    ]
    if by is None:
        stmt = select(*columns).where(*conds)
    else:
        key = getattr(t, {"store": "store_id", "consultant": "consultant_id", "channel": "channel_id"}[by])
        stmt = (
            select(func.nullif(key, 0).label("key"), *columns)
            .where(*conds)
            .group_by(key)
            .having(func.sum(t.leads) > 0)
        )
    return [
        {k: (int(v) if k != "key" else v) for k, v in r._mapping.items()} for r in db.session.execute(stmt)
    ]


def followed_leads(f) -> list[dict]:
    """`queries._followed_leads`' rows: distinct leads followed up per consultant (`key`) over
    the period (`leads`), in the filter's store or the group. Not for lead dimensions (the raw
    query then limits the leads by their current store too)."""
    t = PeriodTotal
    # a follow-up's row has the scope's store (0 for the group): the index skips the funnel's rows
    conds = [*_where(t, f), t.store_id == (0 if f.store_ids is None else t.scope_id)]
    consultant = f.consultant_id or (f.user.id if f.user.role in {Role.CONSULTANT, Role.DCC} else None)
    if consultant:
        conds.append(t.consultant_id == consultant)
    stmt = (
        select(func.nullif(t.consultant_id, 0).label("key"), func.sum(t.followed_leads).label("leads"))
        .where(*conds)
        .group_by(t.consultant_id)
        .having(func.sum(t.followed_leads) > 0)
    )
    return [{"key": r.key, "leads": int(r.leads)} for r in db.session.execute(stmt)]


def followed_usable(f) -> bool:
    return usable(f) and not has_lead_dimensions(f)
