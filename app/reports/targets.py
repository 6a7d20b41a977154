"""Monthly targets per store and consultant, and progress against them."""

from dataclasses import replace
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import Role, User
from app.core.per_request import forget, once_per_request
from app.core.timeutil import zone_for
from app.extensions import db
from app.invitations.models import MonthlyTarget
from app.reports.builders.kpis import kpi_values
from app.reports.rules import Period, add_months, month_end, prorated_target, rate

METRICS = [
    ("new_leads", _l("New leads")),
    ("visits", _l("Showroom visits")),
    ("invitations", _l("Invitations")),
    ("test_drives", _l("Test drives")),
    ("orders", _l("Orders")),
]
METRIC_KEYS = [m for m, _ in METRICS]
# Which headline figure measures each target metric.
ACTUAL_OF = {
    "new_leads": "new_leads",
    "visits": "visits",
    "invitations": "invitations",
    "test_drives": "test_drives",
    "orders": "orders",
}


def _months(period: Period) -> list[date]:
    months, first = [], period.start.replace(day=1)
    while first <= period.end:
        months.append(first)
        first = add_months(first, 1)
    return months


_KEPT = "report_target_rows"  # this request's target rows, by what selects them


def _target_rows(f, per: str | None = None):
    """Target rows for the months of the period: store-level, or consultant-level when filtered;
    read once per request for the same selection (a report's table and its progress both use them)."""
    months = _months(f.period)
    by_consultant = per == "consultant" or bool(f.consultant_id)
    key = (tuple(months), None if f.store_ids is None else tuple(f.store_ids), by_consultant, f.consultant_id)
    return once_per_request(_KEPT, key, lambda: _read_target_rows(f, months, by_consultant))


def _read_target_rows(f, months: list[date], by_consultant: bool) -> list:
    stmt = select(
        MonthlyTarget.month,
        MonthlyTarget.store_id,
        MonthlyTarget.user_id,
        MonthlyTarget.metric,
        MonthlyTarget.value,
    ).where(MonthlyTarget.month.in_(months))
    if f.store_ids is not None:
        stmt = stmt.where(MonthlyTarget.store_id.in_(f.store_ids))
    if by_consultant:
        stmt = stmt.where(MonthlyTarget.user_id.is_not(None))
        if f.consultant_id:
            stmt = stmt.where(MonthlyTarget.user_id == f.consultant_id)
    else:
        stmt = stmt.where(MonthlyTarget.user_id.is_(None))
    return db.session.execute(stmt).all()


def targets_by(f, by: str) -> dict:
    """{store id or user id: {metric: target prorated to the period}}."""
    out: dict = {}
    for row in _target_rows(f, "consultant" if by == "consultant" else None):
        key = row.user_id if by == "consultant" else row.store_id
        metrics = out.setdefault(key, {})
        metrics[row.metric] = metrics.get(row.metric, 0) + prorated_target(row.value, f.period, row.month)
    return {k: {m: round(v) for m, v in ms.items()} for k, ms in out.items()}


def progress(f, actuals: dict | None = None, rows: list | None = None) -> list[dict]:
    """Progress of the filter's period against its targets (empty when no target is set);
    `rows`: the period's target rows when the caller read them already."""
    totals: dict = {}
    for row in _target_rows(f) if rows is None else rows:
        totals[row.metric] = totals.get(row.metric, 0) + prorated_target(row.value, f.period, row.month)
    if not totals:
        return []
    if actuals is None:
        actuals = kpi_values(f)
    out = []
    for metric, label in METRICS:
        if metric not in totals:
            continue
        target = round(totals[metric])
        actual = actuals.get(ACTUAL_OF[metric]) or 0
        out.append(
            {
                "metric": metric,
                "label": label,
                "actual": actual,
                "target": target,
                "progress": rate(actual, target),
            }
        )
    return out


def month_to_date_progress(user: User, today: date) -> list[dict]:
    """Month-to-date figures against this month's target for the user (own, store or group).

    Each item: metric, label, actual, target (whole month), progress (actual / target) and
    expected (share of the month elapsed), for the dashboard.
    """
    from app.reports.filters import ReportFilter, scoped_store_ids

    tz = zone_for(user)
    month = Period("month", today.replace(day=1), month_end(today))
    f = ReportFilter(
        user=user,
        period=month,
        tz=tz,
        store_ids=scoped_store_ids(user, None),
        consultant_id=user.id if user.role in {Role.CONSULTANT, Role.DCC} else None,
    )
    rows = _target_rows(f)  # read once: whether there are targets, and what they are
    items = progress(f, actuals=_actuals_to_date(f, today) if rows else None, rows=rows)
    elapsed = today.day / month.days
    for item in items:
        item["expected"] = elapsed
    return items


def _actuals_to_date(f, today: date) -> dict:
    return kpi_values(replace(f, period=Period("custom", f.period.start, today)))


def set_targets(
    actor: User, month: date, store_id: int, user_id: int | None, values: dict[str, int | None]
) -> int:
    """Create, change or clear the targets of one store or consultant for a month; return rows changed."""
    forget(_KEPT)  # what this request read of the targets is no longer what they are
    existing = {
        t.metric: t
        for t in db.session.execute(
            select(MonthlyTarget).where(
                MonthlyTarget.month == month,
                MonthlyTarget.store_id == store_id,
                MonthlyTarget.user_id.is_(None) if user_id is None else MonthlyTarget.user_id == user_id,
            )
        ).scalars()
    }
    changed = 0
    for metric in METRIC_KEYS:
        value = values.get(metric)
        row = existing.get(metric)
        if value is None:
            if row is not None:
                db.session.delete(row)
                changed += 1
            continue
        if row is None:
            db.session.add(
                MonthlyTarget(
                    month=month, store_id=store_id, user_id=user_id, metric=metric, value=int(value)
                )
            )
            changed += 1
        elif row.value != int(value):
            row.value = int(value)
            changed += 1
    if changed:
        from app.audit.services import record

        record(
            "targets.set",
            actor,
            "store",
            store_id,
            {"month": month.isoformat(), "user_id": user_id, "values": values},
        )
    db.session.flush()
    return changed


def targets_table(month: date, store_ids: list[int] | None) -> dict:
    """{(store id, user id or None): {metric: value}} for the targets page, in one query."""
    stmt = select(
        MonthlyTarget.store_id, MonthlyTarget.user_id, MonthlyTarget.metric, MonthlyTarget.value
    ).where(MonthlyTarget.month == month)
    if store_ids is not None:
        stmt = stmt.where(MonthlyTarget.store_id.in_(store_ids))
    out: dict = {}
    for row in db.session.execute(stmt):
        out.setdefault((row.store_id, row.user_id), {})[row.metric] = row.value
    return out
