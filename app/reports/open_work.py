"""Today's open work per consultant, kept as counts: what the discipline and prospects reports
(and the group's) count of every open lead.

`open_work` holds one row per store × owner × grade × store-local month of the lead's last
effective follow-up (1970-01-01 when there was none) with two counters over the leads that are
open now (an open stage, an owner, not merged):

- `open_leads`: how many;
- `no_plan`: of those, the ones without an open plan (`next_plan_due` empty).

So a consultant's open leads are a sum of their rows, per grade a sum per grade, and the open leads
followed up effectively since the first day of a month (the prospects report's "followed" for a
month or a quarter) a sum of the rows from that month on: a few thousand rows for the group instead
of its 640,000 open leads. The figures that depend on today's date (expected purchase date passed,
plans overdue or due today) stay ranges of the leads' indexes.

Maintenance is the daily aggregates' (app/reports/aggregates.py): every flush, bulk statement,
import and merge adds the difference of the touched leads' contributions, read by `contributions`
restricted to those leads. The door check-in moves a lead only between open stages (to "visited",
forward only), which changes none of these keys, so it adds nothing. `rebuild` recomputes the
table from the leads (`flask reports rebuild-aggregates` calls it).
"""

from __future__ import annotations

from sqlalchemy import delete, func, select

from app.extensions import db
from app.reports import aggregates
from app.reports.models import NEVER_FOLLOWED, OPEN_WORK_COUNTERS, OPEN_WORK_KEYS, OpenWork
from app.reports.sqlutil import among, rows_of

FIELDS = (
    "store_id",
    "owner_id",
    "grade_id",
    "stage_id",
    "merged_into_id",
    "last_effective_followup_at",
    "next_plan_due",
)


def tracked() -> dict:
    """The fields whose change changes a lead's contribution to the open work."""
    from app.leads.models import Lead

    return {Lead: FIELDS}


def contributions(lead_ids=None, visit_ids=None, since=None, until=None, store_ids=None):  # noqa: ARG001
    """The rows open_work should hold, one per key: for some leads (`lead_ids`), for some stores
    or for all (a rebuild: a snapshot of now, so no time range and no walk-in visits)."""
    from app.admin.models import PipelineStage, StageKind
    from app.leads.models import Lead

    dialect = db.session.get_bind().dialect.name
    day = aggregates.local_day(
        Lead.last_effective_followup_at, Lead.store_id, aggregates.store_zones_by_zone(), dialect
    )
    month = func.coalesce(aggregates.month_of(day, dialect), aggregates.day_literal(NEVER_FOLLOWED))
    open_stages = select(PipelineStage.id).where(PipelineStage.kind == StageKind.OPEN).scalar_subquery()
    conds = [Lead.owner_id.is_not(None), Lead.merged_into_id.is_(None), Lead.stage_id.in_(open_stages)]
    if lead_ids is not None:
        conds.append(Lead.id.in_(lead_ids))
    if store_ids is not None:
        conds.append(Lead.store_id.in_(store_ids))
    keys = [Lead.store_id, Lead.owner_id, Lead.grade_id, month]
    return (
        select(
            *[k.label(name) for k, name in zip(keys, OPEN_WORK_KEYS, strict=True)],
            func.count().label("open_leads"),
            func.count().filter(Lead.next_plan_due.is_(None)).label("no_plan"),
        )
        .where(*conds)
        .group_by(*keys)
    )


OPEN_WORK = aggregates.Family(OpenWork, OPEN_WORK_KEYS, OPEN_WORK_COUNTERS, (), contributions, tracked)


def rebuild(store_ids: list[int] | None = None) -> int:
    """Recompute open_work for the stores (all when None) from the leads; return its rows."""
    stmt = delete(OpenWork)
    if store_ids is not None:
        stmt = stmt.where(OpenWork.store_id.in_(store_ids))
    db.session.execute(stmt.execution_options(synchronize_session=False))
    rows = contributions(store_ids=store_ids).subquery("rows")
    db.session.execute(
        OpenWork.__table__.insert().from_select([*OPEN_WORK_KEYS, *OPEN_WORK_COUNTERS], select(*rows.c))
    )
    count = select(func.count()).select_from(OpenWork)
    if store_ids is not None:
        count = count.where(OpenWork.store_id.in_(store_ids))
    return db.session.execute(count).scalar() or 0


def usable(f) -> bool:
    """Whether open_work answers this filter as the leads would: the daily aggregates' conditions
    (stores keeping the report's zone, no vehicle model, a scope of stores) and no channel filter
    (not a key of open_work)."""
    from app.reports import queries_daily

    return (
        queries_daily.usable(f)
        and not f.channel_id
        and f.user.role in queries_daily.STORE_SCOPED
        and aggregates.family_kept(OPEN_WORK)
    )


def from_a_month_start(f) -> bool:
    """Whether the period starts on a month's first day (a month or a quarter): the open leads
    followed since then are whole months of open_work."""
    return f.period.start.day == 1


def _conditions(f) -> list:
    conds = []
    if f.store_ids is not None:
        conds.append(OpenWork.store_id.in_(f.store_ids))
    if f.consultant_id:
        conds.append(OpenWork.owner_id == f.consultant_id)
    if f.grade_id:
        conds.append(OpenWork.grade_id == f.grade_id)
    return conds


def per_owner(f) -> list[dict]:
    """Per owner: open leads and those without an open plan."""
    stmt = (
        select(
            OpenWork.owner_id.label("key"),
            func.sum(OpenWork.open_leads).label("open_leads"),
            func.sum(OpenWork.no_plan).label("no_plan"),
        )
        .where(*_conditions(f))
        .group_by(OpenWork.owner_id)
        .having(func.sum(OpenWork.open_leads) > 0)
    )
    return rows_of(stmt)


def per_owner_and_grade(f) -> list[dict]:
    """Per owner and grade: open leads, and those followed up effectively since the period's
    first day (a month's first day: `from_a_month_start`)."""
    since = aggregates.day_literal(f.period.start)
    followed = func.sum(OpenWork.open_leads).filter(OpenWork.followed_month >= since)
    stmt = (
        select(
            OpenWork.owner_id.label("key"),
            OpenWork.grade_id.label("grade"),
            func.sum(OpenWork.open_leads).label("leads"),
            func.coalesce(followed, 0).label("followed"),
        )
        .where(*_conditions(f))
        .group_by(OpenWork.owner_id, OpenWork.grade_id)
        .having(func.sum(OpenWork.open_leads) > 0)
    )
    return rows_of(stmt)


def owners_without_plan(owner_ids: list[int]) -> dict[int, int] | None:
    """Per owner (over every store): open leads without an open plan; None when this database
    does not keep open_work yet (before migration 0035)."""
    if not aggregates.family_kept(OPEN_WORK):
        return None
    stmt = (
        select(OpenWork.owner_id, func.sum(OpenWork.no_plan))
        .where(among(OpenWork.owner_id, owner_ids))
        .group_by(OpenWork.owner_id)
    )
    return {owner: int(n or 0) for owner, n in db.session.execute(stmt)}
