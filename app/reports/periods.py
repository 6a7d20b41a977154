"""Calendar-period report aggregates: figures that count distinct leads over a whole month or
quarter, which a sum of days cannot give (a lead followed on two days is one lead followed).

`period_stats` holds one row per period (kind "M" month or "Q" quarter, and its first store-local
day) × scope × store × consultant × source channel × grade × reach, with two counters; three
rollups hold the same counters summed over some keys (`PERIOD_ROLLUPS` in app/reports/models.py):
`period_totals` over channel and grade, `period_channels` over consultant and grade and
`period_stores` over all three. The scope is the store the facts happened in, or 0 for the whole
group: a lead with facts in two stores in a period counts once in each store's scope and once in
the group's, as the reports count it for a store and for the group.

- `leads` (the conversion funnel): leads created (not merged) or moved to an open or won stage in
  the period, each counted once per scope at the furthest stage it reached there: `reach` is the
  largest sort order of its stage changes in the period (a lead's creation counts as reaching
  "new"). Keyed by the lead's *current* store, owner, source channel and grade. A stage change's
  scope is the stage change's store, a creation's the lead's store.
- `followed_leads`: distinct leads followed up in the period by a consultant (the follow-up's
  author), in the follow-up's store (scope and store both that store; 0 and 0 for the group).
  Channel, grade and reach are 0.

The funnel of a store or of the group counts `leads` at or beyond each stage's sort order; the
leads followed per consultant sum `followed_leads` (app/reports/queries_periods.py).

Maintenance and rebuild are those of the daily aggregates (app/reports/aggregates.py): this module
gives the family's SQL (`contributions`, the rebuild's SQL restricted to some leads) and the
fields it reads; every flush, bulk statement, import and merge adds the difference of the touched
leads' contributions. The door check-in, which moves a lead to "visited" around the ORM, adds the
difference it knows from the lead's contribution read before (`move_deltas`). A change to the
pipeline stages' order or kinds needs `flask reports rebuild-aggregates`, as for the daily orders.
Periods are calendar periods of the store's own zone, with the same local day as the daily
aggregates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Date, DateTime, Integer, String, cast, delete, func, literal, select, union_all

from app.extensions import db
from app.reports import aggregates
from app.reports.models import (
    PERIOD_COUNTERS,
    PERIOD_KEYS,
    PERIOD_ROLLUPS,
    PeriodStat,
)
from app.reports.rules import add_months, month_start, quarter_start

KINDS = {"M": "month", "Q": "quarter"}  # period_kind: the calendar period it stands for


def period_of(day: date, kind: str) -> date:
    """The first day of the month ("M") or quarter ("Q") of a local day."""
    return month_start(day) if kind == "M" else quarter_start(day)


def _period_start(day, kind: str, dialect: str):
    """SQL: the first day of the month or quarter of a DATE expression."""
    if dialect == "postgresql":
        return cast(func.date_trunc(KINDS[kind], cast(day, DateTime)), Date)
    if kind == "M":
        return func.date(day, "start of month")
    back = (cast(func.strftime("%m", day), Integer) - 1) % 3
    return func.date(day, "start of month", literal("-") + cast(back, String) + literal(" months"))


def new_order() -> int:
    """The sort order a lead's creation reaches in the funnel (the "new" stage's, else 0)."""
    from app.admin.reference import stages

    return next((s.sort_order for s in stages() if s.code == "new"), 0)


def tracked() -> dict:
    """The fields whose change changes a lead's contribution to the period aggregates."""
    from app.followups.models import FollowUp
    from app.leads.models import Lead, StageChange

    return {
        Lead: ("store_id", "owner_id", "source_channel_id", "grade_id", "created_at", "merged_into_id"),
        StageChange: ("lead_id", "store_id", "to_stage_id", "created_at"),
        FollowUp: ("lead_id", "store_id", "user_id", "occurred_at"),
    }


def contributions(lead_ids=None, visit_ids=None, since=None, until=None):  # noqa: ARG001 - no walk-ins here
    """The rows period_stats should hold, one per key: for some leads (`lead_ids`), or for the
    facts between naive UTC `since` and `until` (a rebuild)."""
    from app.admin.models import PipelineStage, StageKind
    from app.followups.models import FollowUp
    from app.leads.models import Lead, StageChange

    dialect = db.session.get_bind().dialect.name
    zones = aggregates.store_zones_by_zone()
    zero = literal(0)

    def limits(when, lead_column) -> list:
        conds = []
        if since is not None:
            conds.append(when >= since)
        if until is not None:
            conds.append(when < until)
        if lead_ids is not None:
            conds.append(lead_column.in_(lead_ids))
        return conds

    def per_period(facts, *columns):
        """Each fact once per period kind, with its period's first day (`start`)."""
        day = aggregates.local_day(facts.c.t, facts.c.at, zones, dialect)
        dated = select(*[facts.c[c] for c in columns], day.label("day")).subquery(f"{facts.name}_days")
        return union_all(
            *[
                select(
                    *[dated.c[c] for c in columns],
                    literal(kind).label("kind"),
                    _period_start(dated.c.day, kind, dialect).label("start"),
                )
                for kind in KINDS
            ]
        ).subquery(f"{facts.name}_periods")

    # The funnel: each lead's furthest stage per period, in each store's scope and the group's.
    moved = (
        select(
            StageChange.lead_id.label("lead_id"),
            StageChange.store_id.label("at"),
            StageChange.created_at.label("t"),
            PipelineStage.sort_order.label("reach"),
        )
        .join(PipelineStage, PipelineStage.id == StageChange.to_stage_id)
        .where(PipelineStage.kind != StageKind.LOST, *limits(StageChange.created_at, StageChange.lead_id))
    )
    created = select(Lead.id, Lead.store_id, Lead.created_at, literal(new_order())).where(
        Lead.merged_into_id.is_(None), *limits(Lead.created_at, Lead.id)
    )
    p = per_period(union_all(moved, created).subquery("stage_facts"), "lead_id", "at", "reach").c
    furthest = union_all(
        select(p.lead_id, p.at.label("scope_id"), p.kind, p.start, func.max(p.reach).label("reach")).group_by(
            p.lead_id, p.at, p.kind, p.start
        ),
        select(p.lead_id, zero.label("scope_id"), p.kind, p.start, func.max(p.reach).label("reach")).group_by(
            p.lead_id, p.kind, p.start
        ),
    ).subquery("furthest")
    r = furthest.c
    keys = [
        r.kind.label("period_kind"),
        r.start.label("period_start"),
        r.scope_id.label("scope_id"),
        Lead.store_id.label("store_id"),
        func.coalesce(Lead.owner_id, 0).label("consultant_id"),
        func.coalesce(Lead.source_channel_id, 0).label("channel_id"),
        func.coalesce(Lead.grade_id, 0).label("grade_id"),
        r.reach.label("reach"),
    ]
    funnel = (
        select(*keys, func.count().label("leads"), zero.label("followed_leads"))
        .select_from(furthest)
        .join(Lead, Lead.id == r.lead_id)
        .group_by(*[k.element for k in keys])
    )

    # The leads followed: distinct leads per author and period, in each store's scope and the group's.
    followups = select(
        FollowUp.lead_id.label("lead_id"),
        FollowUp.store_id.label("at"),
        func.coalesce(FollowUp.user_id, 0).label("author"),
        FollowUp.occurred_at.label("t"),
    ).where(*limits(FollowUp.occurred_at, FollowUp.lead_id))
    q = per_period(followups.subquery("followup_facts"), "lead_id", "at", "author").c
    distinct_leads = func.count(func.distinct(q.lead_id)).label("followed_leads")
    followed = [
        select(q.kind, q.start, scope, store, q.author, zero, zero, zero, zero, distinct_leads).group_by(
            q.kind, q.start, *group, q.author
        )
        for scope, store, group in ((q.at, q.at, [q.at]), (zero, zero, []))
    ]
    rows = union_all(funnel, *followed).subquery("period_rows")
    return select(
        *[rows.c[k] for k in PERIOD_KEYS], *[func.sum(rows.c[c]).label(c) for c in PERIOD_COUNTERS]
    ).group_by(*[rows.c[k] for k in PERIOD_KEYS])


PERIODS = aggregates.Family(PeriodStat, PERIOD_KEYS, PERIOD_COUNTERS, PERIOD_ROLLUPS, contributions, tracked)


def rebuild(start: date | None = None, end: date | None = None) -> int:
    """Recompute the period aggregates of every calendar period that overlaps local days
    start..end (all when None), for every store, from the raw rows with INSERT … SELECT; return
    the period_stats rows."""
    from app.core.timeutil import local_midnight_utc

    first = quarter_start(start) if start else None
    last = add_months(quarter_start(end), 3) - timedelta(days=1) if end else None

    def in_range(column, as_literal=lambda day: day) -> list:
        conds = []
        if first:
            conds.append(column >= as_literal(first))
        if last:
            conds.append(column <= as_literal(last))
        return conds

    for model in (PeriodStat, *(m for m, _keys in PERIOD_ROLLUPS)):
        stmt = delete(model).where(*in_range(model.period_start))
        db.session.execute(stmt.execution_options(synchronize_session=False))
    since = local_midnight_utc(first - timedelta(days=1)) if first else None  # any zone's day fits in ±1 day
    until = local_midnight_utc(last + timedelta(days=2)) if last else None
    source = contributions(since=since, until=until).subquery("rows")
    chosen = in_range(source.c.period_start, aggregates.day_literal)
    rows = select(*source.c).where(*chosen)
    db.session.execute(PeriodStat.__table__.insert().from_select([*PERIOD_KEYS, *PERIOD_COUNTERS], rows))
    return aggregates.fill_rollups(PERIODS, in_range(PeriodStat.__table__.c.period_start))


def move_deltas(
    lead_id: int, lead_key: tuple[int, int, int, int], store_id: int, when: datetime, reach: int
) -> dict:
    """The period deltas of a lead's move, at `when` in store `store_id`, to an open or won stage
    of sort order `reach`, known from the lead's contribution read before the move: in the month
    and the quarter of the move, in the store's scope and the group's, the lead now reaches at
    least `reach`. `lead_key` is the lead's (store, owner, channel, grade), 0 for none."""
    day = aggregates.store_day(when, store_id, db.session.get_bind().dialect.name)
    held = {}
    for key, (leads, _followed) in aggregates.contributions_of(PERIODS, {lead_id}).items():
        if leads:
            held[key[:3]] = key
    parts = []
    for kind in KINDS:
        for scope in (store_id, 0):
            old = held.get((kind, period_of(day, kind), scope))
            if old is not None and old[-1] >= reach:
                continue
            if old is not None:
                parts.append((old, {"leads": -1}))
            parts.append(((kind, period_of(day, kind), scope, *lead_key, reach), {"leads": 1}))
    return aggregates.known_deltas(parts, PERIODS)
