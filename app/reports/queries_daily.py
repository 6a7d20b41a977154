"""Report figures read from the daily aggregates (daily_stats and its rollups daily_totals,
daily_channels and daily_stores, app/reports/aggregates.py).

A figure that is a sum of daily counts (new leads, follow-ups, visits, invitations, defeat
requests, orders) is read here when the filter can be answered from the aggregates' keys; the
query functions in queries.py / queries_visits.py call `usable(f)` and fall back to the raw rows
otherwise, so each figure keeps one definition whichever source answers it.
"""

from operator import itemgetter

from sqlalchemy import Date, String, bindparam, case, distinct, func, or_, select

from app.accounts.models import Role
from app.extensions import db
from app.reports.aggregates import day_literal
from app.reports.models import (
    BIG_COUNTERS,
    COUNTERS,
    DailyChannel,
    DailyStat,
    DailyStore,
    DailyTotal,
    MonthlyTotal,
)
from app.reports.rules import month_end, month_start
from app.reports.sqlutil import among, date_bucket

# Roles whose report scope is a set of stores (or the group): the aggregates' store key carries it.
STORE_SCOPED = {Role.DIRECTOR, Role.ADMIN, Role.MANAGER, Role.MARKETING, Role.CLERK}


def usable(f) -> bool:
    """Whether the aggregates answer this filter exactly as the raw rows would.

    Not for a vehicle-model filter (not a key), not for DCC agents (their scope is the leads they
    look after), not for a consultant filtering by channel or grade (their scope is leads they own,
    which an activity row does not record), and only when every store in scope keeps its days in
    the report's zone (a store-local day is the aggregates' day).
    """
    if f.model_id:
        return False
    if f.user.role not in STORE_SCOPED and (f.user.role != Role.CONSULTANT or f.channel_id or f.grade_id):
        return False
    from app.reports.aggregates import store_zones

    zones = store_zones()
    if f.store_ids is None:
        return set(zones.values()) <= {f.tz}
    return all(zones.get(store_id, f.tz) == f.tz for store_id in f.store_ids)


MONTH_GRAINS = (None, "month", "quarter")  # groupings a sum of whole months can answer


def _table(f, by: str | None, grain: str | None = None, per_day: bool = False):
    """The coarsest table whose keys carry the filter and the grouping: store × day without a
    consultant, channel or grade; store × day × channel without a consultant or a grade; store ×
    consultant × day without a channel or a grade (store × consultant × month when the period is
    whole months and neither the grouping nor the caller needs days: `per_day`); every key
    otherwise. All hold the same counters (the rollups are daily_stats summed)."""
    if not (f.consultant_id or f.grade_id or by == "consultant"):
        return DailyChannel if (f.channel_id or by == "channel") else DailyStore
    if not (f.channel_id or f.grade_id or by == "channel"):
        months = not per_day and grain in MONTH_GRAINS and _whole_months(f.period)
        return MonthlyTotal if months else DailyTotal
    return DailyStat


def _whole_months(period) -> bool:
    return period.start == month_start(period.start) and period.end == month_end(period.end)


KEY_FILTERS = ("consultant_id", "channel_id", "grade_id")


def _filter_values(f) -> dict:
    """The filter's values for an aggregate table's columns: its first and last day, its stores
    (when limited) and the keys it sets. Days are dates on PostgreSQL, ISO text on SQLite."""
    pg = db.session.get_bind().dialect.name == "postgresql"
    values = {
        "first_day": f.period.start if pg else f.period.start.isoformat(),
        "last_day": f.period.end if pg else f.period.end.isoformat(),
    }
    if f.store_ids is not None:
        values["store_ids"] = list(f.store_ids)
    values.update({k: getattr(f, k) for k in KEY_FILTERS if getattr(f, k)})
    return values


def _filter_conditions(t, names, values: dict | None = None) -> list:
    """The conditions on `t` for the filter values named (those of `_filter_values`): without
    `values`, bound by name when the statement runs (a statement built once); with them, carrying
    their own values (a statement built for this filter, which may sit beside others)."""

    def param(name: str, **kw):
        if values is None:
            return bindparam(name, **kw)
        return bindparam(name, values[name], unique=True, **kw)

    conds = []
    if "first_day" in names:
        day = Date if db.session.get_bind().dialect.name == "postgresql" else String
        conds += [t.day >= param("first_day", type_=day), t.day <= param("last_day", type_=day)]
    if "store_ids" in names:
        conds.append(t.store_id.in_(param("store_ids", expanding=True)))
    return conds + [getattr(t, k) == param(k) for k in KEY_FILTERS if k in names]


def _conditions(t, f) -> list:
    values = _filter_values(f)
    return _filter_conditions(t, values, values)


def key_conditions(t, f) -> list:
    """The filter's consultant, channel and grade on an aggregate table's keys (the daily and the
    calendar-period tables name them alike)."""
    values = {k: getattr(f, k) for k in KEY_FILTERS if getattr(f, k)}
    return _filter_conditions(t, values, values)


def counts(f, by: str | None, names: dict[str, str], grain: str | None = None) -> list[dict]:
    """Sum counters over the filter's days, per `by` ("consultant", "store", "channel" or None)
    and, with `grain`, per day / week / month / quarter (the bucket label the raw queries use).

    `names` maps each output name to a counter column. A consultant or channel key of 0 ("none":
    a pooled lead, a visit without a consultant) comes back as None, as the raw queries return it.
    """
    rows = _all_counters(f, by, grain)
    keys = [k for k in ("bucket", "key") if (k == "key" and by) or (k == "bucket" and grain)]
    columns = [*keys, *names.values()]
    out_names = [*keys, *names]
    width = len(keys)
    # A group's month is a row per consultant (1,200): pick each row's values in one call.
    pick = itemgetter(*columns) if len(columns) > 1 else (lambda r: (r[columns[0]],))
    out = []
    for r in rows:
        values = pick(r)
        if by is None or any(values[width:]):
            out.append(dict(zip(out_names, values, strict=True)))
    return out


def grouped(f, by: str, names: dict[str, str], grain: str | None = None, days: tuple | None = None):
    """The rows of `counts(f, by, names, grain)` as an unexecuted SELECT, for a caller that pages,
    orders or totals them in SQL: columns `bucket` (with `grain`), `key` (NULL for a key of 0) and
    one per name; groups whose named counters are all zero are left out, as `counts` leaves them.
    `days` (first, last) narrows the filter's period to those days."""
    t = _table(f, by, grain, per_day=days is not None)
    keys, groups = _keys(t, by, grain)
    keys = [func.nullif(k.element, 0).label("key") if k.name == "key" else k for k in keys]
    sums = [func.coalesce(func.sum(getattr(t, counter)), 0).label(name) for name, counter in names.items()]
    nonzero = or_(*[func.sum(getattr(t, counter)) != 0 for counter in names.values()])
    conds = _conditions(t, f)
    if days is not None:
        conds += [t.day >= day_literal(days[0]), t.day <= day_literal(days[1])]
    return select(*keys, *sums).where(*conds).group_by(*groups).having(nonzero)


def consultant_days(f, names: dict[str, str]) -> list[dict]:
    """Per day of the filter, in day order, how many rows `grouped(f, "consultant", names, "day")`
    has that day (`rows`: the consultants with a named counter other than zero; counters count, so
    they are never below zero and a consultant's day is nonzero when one of its rows is), with the
    number of those rows over the period (`all_rows`) and each named counter summed over the period
    (`all_<name>`), the same on every day. One pass over the period's rows, without grouping them
    per consultant: a page of the per-day rows then reads only its own days."""
    t = _table(f, "consultant", per_day=True)
    nonzero = or_(*[getattr(t, counter) != 0 for counter in names.values()])
    rows = func.count(distinct(case((nonzero, t.consultant_id))))
    stmt = (
        select(
            t.day.label("day"),
            rows.label("rows"),
            func.sum(rows).over().label("all_rows"),
            *[func.sum(func.sum(getattr(t, c))).over().label(f"all_{n}") for n, c in names.items()],
        )
        .where(*_conditions(t, f))
        .group_by(t.day)
        .order_by(t.day)
    )
    return [dict(r._mapping) for r in db.session.execute(stmt)]


def consultant_totals(ids: list[int], first_day, last_day, tz: str, counter: str) -> dict[int, int] | None:
    """Per consultant of `ids`: a counter summed over the local days `first_day`..`last_day` in
    every store (whole months from monthly_totals), for a page outside the reports (the
    dashboard's discipline board). None when a store keeps its days in a zone other than `tz`:
    its days are then not the caller's, and the caller counts the raw rows."""
    from app.reports.aggregates import every_store_id, store_zones

    if not ids or set(store_zones().values()) - {tz}:
        return None
    whole = first_day == month_start(first_day) and last_day == month_end(last_day)
    t = MonthlyTotal if whole else DailyTotal
    stmt = (
        select(t.consultant_id, func.sum(getattr(t, counter)))
        .where(
            t.store_id.in_(every_store_id()),  # the primary key read as a range per store
            among(t.consultant_id, ids),
            t.day >= day_literal(first_day),
            t.day <= day_literal(last_day),
        )
        .group_by(t.consultant_id)
    )
    return {key: int(n) for key, n in db.session.execute(stmt) if n}


def _keys(t, by: str | None, grain: str | None) -> tuple[list, list]:
    """The labelled key columns (`bucket`, `key`) and the GROUP BY expressions of a grouping."""
    keys, groups = [], []
    if grain:
        b = date_bucket(t.day, grain)
        keys.append(b.label("bucket"))
        groups.append(t.day if grain == "day" else b)  # a day's label is formatted once per group
    if by:
        column = getattr(t, {"consultant": "consultant_id", "store": "store_id", "channel": "channel_id"}[by])
        keys.append(column.label("key"))
        groups.append(column)
    return keys, groups


def _all_counters(f, by: str | None, grain: str | None) -> list[dict]:
    """Every counter per (bucket, key), read once per request for the same filter and grouping
    (a report asks for several figures of the same rows)."""
    from flask import g, has_app_context

    memo_key = (
        "daily",
        by,
        grain,
        f.period.start,
        f.period.end,
        f.store_ids,
        f.consultant_id,
        f.channel_id,
        f.grade_id,
    )
    memo = g.setdefault("_report_daily_counts", {}) if has_app_context() else {}
    if memo_key in memo:
        return memo[memo_key]
    t = _table(f, by, grain)
    stmt, params = _counters_statement(t, by, grain, f)
    result = db.session.execute(stmt, params)
    names = list(result.keys())
    # A sum of BIGINT comes back as a Decimal on PostgreSQL; the other sums are ints already.
    decimals = [n for n in names if n in BIG_COUNTERS]
    rows = []
    for r in result.tuples():
        row = dict(zip(names, r, strict=True))
        for n in decimals:
            row[n] = int(row[n])
        if row.get("key", 1) == 0:
            row["key"] = None
        rows.append(row)
    memo[memo_key] = rows
    return rows


_STATEMENTS: dict = {}  # every counter summed, one SELECT per table, grouping and kind of filter


def _counters_statement(t, by: str | None, grain: str | None, f) -> tuple:
    """The SELECT of every counter for the filter, with its parameters.

    The statement depends only on the table, the grouping and which of the filter's keys are set,
    so it is built once per process and database and its values bound when it runs: building a
    SELECT of thirty sums cost more than running it on a store's month.
    """
    params = _filter_values(f)
    shape = (db.session.get_bind().dialect.name, t.__tablename__, by, grain, tuple(sorted(params)))
    if shape not in _STATEMENTS:
        conds = _filter_conditions(t, params)
        keys, groups = _keys(t, by, grain)
        sums = [func.coalesce(func.sum(getattr(t, counter)), 0).label(counter) for counter in COUNTERS]
        stmt = select(*keys, *sums).where(*conds)
        if groups:
            stmt = stmt.group_by(*groups)
        _STATEMENTS[shape] = stmt
    return _STATEMENTS[shape], params
