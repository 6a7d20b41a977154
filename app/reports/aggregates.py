"""Daily report aggregates: what each counter counts, how it is rebuilt and how it is kept current.

`daily_stats` holds one row per store × consultant × store-local day × source channel × grade with
integer counters; four rollups hold the same counters summed over some of those keys (`ROLLUPS`
in app/reports/models.py): `daily_totals` over channel and grade (store × consultant × day: what a
report per consultant without a channel or grade filter reads), `daily_channels` over consultant
and grade (store × day × channel: a report of a store or of the group by channel or filtered by
one), `daily_stores` over all three (store × day: a report of a store or of the group by
period) and `monthly_totals`, daily_totals summed per store-local calendar month (its `day` the
month's first: a report per consultant over whole months). A report over a month reads days (or
months), not leads.

What each counter counts, and under which keys (0 in a key means "none"):

- Leads (not merged), on the local day the lead was created, keyed by the lead's *current* store,
  owner, source channel and grade: `new_leads`; `new_visited` (of those, leads that came to the
  showroom: `arrived_at` set); `new_won` (of those, leads won: `won_at` set); `new_contacted`
  (of those, leads contacted: `first_contacted_at` set) and `contact_micros` (their microseconds
  from assignment, or creation when never assigned, to first contact: the hours to first contact
  are `contact_micros / new_contacted`, the leads not contacted yet `new_leads - new_contacted`).
- Won leads (not merged), on the local day `won_at`, under the same keys: `won_cycle_leads` and
  `cycle_micros` (microseconds from creation to `won_at`: the days from lead to order).
- Follow-ups, on the day they occurred, keyed by the follow-up's store and author and the lead's
  current channel and grade: `followups`, `effective`, one `m_<method>` per contact method, and
  `followed_leads` (distinct leads followed up by that consultant that day).
- Showroom visits, on the day of arrival, keyed by the visit's store, consultant and source
  channel and the lead's current grade (0 for a walk-in without a lead): `visits`, `first_visits`,
  `return_visits`, `retained` (first visits that left contact details), `test_drives`, `people`,
  `stayed_visits` (visits with a departure time, `left_at`) and `stay_micros` (their stay).
- Invitations made (not walk-ins), on the day `invited_at`, keyed by the invitation's store and
  inviter and the lead's channel and grade: `invitations`.
- Defeat requests, on the day requested, keyed by the request's store and requester and the lead's
  channel and grade: `defeat_requests`.
- Orders: leads moved into a won stage, on the day of the move, keyed by the stage change's store
  and the lead's current owner, channel and grade: `won` (distinct leads that day).

Durations (`*_micros`, BIG_COUNTERS) are sums of exact microseconds, so an average read from them
(sum over its count) is the average the raw rows give, whatever the period.

Keys follow the lead's *current* attributes, as the reports always have (a grade filter means
the lead's grade now): re-assigning a lead, changing its grade or channel, merging it or moving it
to another store moves all of its counts. That is why maintenance works per lead.

Maintenance: every counter is a function of one lead and its facts (or of one walk-in visit). A
flush that touches a lead or a fact computes, before the flush, the touched leads' contributions
from the database, and after the flush the same again; the difference is added to daily_stats and
to each rollup in the same transaction (`_before_flush` / `_after_flush`; one upsert per table,
the rollups' rows summed from the same per-key differences, so they always equal daily_stats
summed over their keys). Bulk UPDATE/DELETE statements on those
tables go through `_bulk_statement`, which does the same around the statement. Rows written
around the ORM (the spreadsheet import's COPY) are added with `add_leads`. The SQL of a lead's
contribution is the SQL of the rebuild restricted to the lead, so both agree by construction;
`flask reports rebuild-aggregates` recomputes any range from the raw rows with INSERT … SELECT.

The same mechanism keeps the calendar-period aggregates (period_stats and its rollups,
app/reports/periods.py: the funnel's furthest stage per lead and the distinct leads followed per
month and quarter). Each set of tables is a `Family` (its base table, keys, counters, rollups,
contribution SQL and the fields it reads); every flush, bulk statement and `add_leads` maintains
each family whose tables exist, and only for the leads whose fields that family reads changed.

Local days: a store's own zone (app/core/timeutil.py). PostgreSQL converts each timestamp with
the zone's rules; SQLite has no zone rules and uses each zone's current UTC offset (exact for
zones without daylight saving time, such as China's). Reports read the aggregates only when every
store in scope shares the report's zone (see `usable`); otherwise they count raw rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    event,
    func,
    inspect,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.extensions import db
from app.reports.models import COUNTERS, KEYS, ROLLUPS, DailyStat
from app.reports.rules import month_end, month_start
from app.web.postgres import generic_plans

OFF = "report_aggregates_off"  # session.info flag: skip maintenance (a bulk load rebuilds afterwards)
_BEFORE = "report_aggregates_before"
CHUNK = 500


# ---- the local day ----------------------------------------------------------------------------

_ZONES: dict = {}  # per database: {zone: [store ids]}; cleared when a store is added or changed


def _zones() -> dict[str, list[int]]:
    """Store ids per time zone (cached in the process: a new store or a changed zone clears it; a
    changed zone also needs `flask reports rebuild-aggregates --store CODE`, the days move)."""
    from app.accounts.models import Store
    from app.core.timeutil import default_zone

    bind = str(db.session.get_bind().url)
    if bind not in _ZONES:
        zones: dict[str, list[int]] = defaultdict(list)
        for store_id, zone in db.session.execute(select(Store.id, Store.timezone)):
            zones[zone or default_zone()].append(store_id)
        _ZONES[bind] = dict(zones)
    return _ZONES[bind]


def store_zones_by_zone() -> dict[str, list[int]]:
    """Store ids per time zone (the cache `local_day` takes)."""
    return _zones()


def every_store_id() -> list[int]:
    """Every store's id (from the same cache): a group-wide condition that lets PostgreSQL read a
    (store, …) index as one range per store instead of the whole index."""
    return sorted(store_zones())


def store_zones() -> dict[int, str]:
    """Each store's zone (from the same cache)."""
    return {store_id: zone for zone, ids in _zones().items() for store_id in ids}


def _forget_zones(*_args) -> None:
    _ZONES.clear()
    _STATEMENTS.clear()


def _day_in(column, zone: str, dialect: str):
    if dialect == "postgresql":
        return cast(func.timezone(zone, func.timezone("UTC", column)), Date)
    from app.core.timeutil import utc_offset_minutes

    return func.date(column, f"{utc_offset_minutes(zone):+d} minutes")


def local_day(column, store_column, zones: dict[str, list[int]], dialect: str):
    """The store-local date of a UTC timestamp column, the store given by `store_column`."""
    items = sorted(zones.items(), key=lambda kv: -len(kv[1]))
    if len(items) <= 1:
        from app.core.timeutil import default_zone

        return _day_in(column, items[0][0] if items else default_zone(), dialect)
    whens = [(store_column.in_(ids), _day_in(column, zone, dialect)) for zone, ids in items[1:]]
    return case(*whens, else_=_day_in(column, items[0][0], dialect))


# ---- the contributions: one SELECT per fact family, grouped by the keys ------------------------


def _sum_if(condition):
    return func.sum(case((condition, 1), else_=0))


def micros_between(start, end, dialect: str):
    """Microseconds from timestamp `start` to `end`, exact: on PostgreSQL from the interval's epoch
    (a numeric); on SQLite from the stored text (whole seconds, then the six digits after the
    point SQLAlchemy always writes), not from julianday (a float)."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start) * 1000000, BigInteger)

    def micros(column):
        whole = cast(func.strftime("%s", column), BigInteger) * 1000000
        return whole + cast(func.substr(column, 21, 6), BigInteger)

    return micros(end) - micros(start)


def _sum_of(condition, value):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _family_selects(lead_ids=None, visit_ids=None, since=None, until=None, store_ids=None):
    """One grouped SELECT per fact family, each with every key and every counter column.

    `lead_ids` / `visit_ids` (lists, or expanding bind parameters) limit the rows to some leads
    (and walk-in visits); `since`/`until` (naive UTC) and `store_ids` limit them for a rebuild.
    """
    from app.admin.models import StageKind
    from app.admin.reference import stages
    from app.followups.models import DefeatRequest, FollowUp
    from app.invitations.models import Invitation
    from app.leads.models import Lead, StageChange
    from app.showroom.models import ShowroomVisit

    dialect = db.session.get_bind().dialect.name
    zones = _zones()
    zero = literal(0)

    def keyed(store, consultant, when, channel, grade):
        return [
            store.label("store_id"),
            func.coalesce(consultant, 0).label("consultant_id"),
            local_day(when, store, zones, dialect).label("day"),
            func.coalesce(channel, 0).label("channel_id"),
            func.coalesce(grade, 0).label("grade_id"),
        ]

    def counters(**given):
        return [given.get(name, zero).label(name) for name in COUNTERS]

    def limits(when, store, lead_column, own_id=None):
        conds = []
        if since is not None:
            conds.append(when >= since)
        if until is not None:
            conds.append(when < until)
        if store_ids is not None:
            conds.append(store.in_(store_ids))
        if lead_ids is not None:
            by_lead = lead_column.in_(lead_ids)
            if own_id is not None and visit_ids is not None:
                by_lead = or_(by_lead, and_(own_id.in_(visit_ids), lead_column.is_(None)))
            conds.append(by_lead)
        return conds

    selects = []
    one = func.count()
    contacted = Lead.first_contacted_at.is_not(None)
    k = keyed(Lead.store_id, Lead.owner_id, Lead.created_at, Lead.source_channel_id, Lead.grade_id)
    selects.append(
        select(
            *k,
            *counters(
                new_leads=one,
                new_visited=_sum_if(Lead.arrived_at.is_not(None)),
                new_won=_sum_if(Lead.won_at.is_not(None)),
                new_contacted=_sum_if(contacted),
                contact_micros=_sum_of(
                    contacted,
                    micros_between(
                        func.coalesce(Lead.assigned_at, Lead.created_at), Lead.first_contacted_at, dialect
                    ),
                ),
            ),
        )
        .where(Lead.merged_into_id.is_(None), *limits(Lead.created_at, Lead.store_id, Lead.id))
        .group_by(*[c.element for c in k])
    )

    k = keyed(Lead.store_id, Lead.owner_id, Lead.won_at, Lead.source_channel_id, Lead.grade_id)
    selects.append(
        select(
            *k,
            *counters(
                won_cycle_leads=one,
                cycle_micros=func.coalesce(
                    func.sum(micros_between(Lead.created_at, Lead.won_at, dialect)), 0
                ),
            ),
        )
        .where(
            Lead.merged_into_id.is_(None),
            Lead.won_at.is_not(None),
            *limits(Lead.won_at, Lead.store_id, Lead.id),
        )
        .group_by(*[c.element for c in k])
    )

    k = keyed(
        FollowUp.store_id, FollowUp.user_id, FollowUp.occurred_at, Lead.source_channel_id, Lead.grade_id
    )
    methods = {
        f"m_{m}": _sum_if(FollowUp.method == m)
        for m in ("phone", "sms", "wechat", "email", "visit", "showroom")
    }
    selects.append(
        select(
            *k,
            *counters(
                followups=one,
                effective=_sum_if(FollowUp.is_effective.is_(True)),
                followed_leads=func.count(func.distinct(FollowUp.lead_id)),
                **methods,
            ),
        )
        .join(Lead, Lead.id == FollowUp.lead_id)
        .where(*limits(FollowUp.occurred_at, FollowUp.store_id, FollowUp.lead_id))
        .group_by(*[c.element for c in k])
    )

    k = keyed(
        ShowroomVisit.store_id,
        ShowroomVisit.consultant_id,
        ShowroomVisit.arrived_at,
        ShowroomVisit.source_channel_id,
        Lead.grade_id,
    )
    first = ShowroomVisit.is_first_visit.is_(True)
    stayed = ShowroomVisit.left_at.is_not(None)
    selects.append(
        select(
            *k,
            *counters(
                visits=one,
                first_visits=_sum_if(first),
                return_visits=_sum_if(ShowroomVisit.is_first_visit.is_(False)),
                retained=_sum_if(and_(first, ShowroomVisit.left_contact.is_(True))),
                test_drives=_sum_if(ShowroomVisit.test_drive.is_(True)),
                people=func.coalesce(func.sum(ShowroomVisit.party_size), 0),
                stayed_visits=_sum_if(stayed),
                stay_micros=_sum_of(
                    stayed, micros_between(ShowroomVisit.arrived_at, ShowroomVisit.left_at, dialect)
                ),
            ),
        )
        .select_from(ShowroomVisit)
        .outerjoin(Lead, Lead.id == ShowroomVisit.lead_id)
        .where(
            *limits(ShowroomVisit.arrived_at, ShowroomVisit.store_id, ShowroomVisit.lead_id, ShowroomVisit.id)
        )
        .group_by(*[c.element for c in k])
    )

    k = keyed(
        Invitation.store_id,
        Invitation.inviter_id,
        Invitation.invited_at,
        Lead.source_channel_id,
        Lead.grade_id,
    )
    selects.append(
        select(*k, *counters(invitations=one))
        .join(Lead, Lead.id == Invitation.lead_id)
        .where(
            Invitation.is_walk_in.is_(False),
            Invitation.invited_at.is_not(None),
            *limits(Invitation.invited_at, Invitation.store_id, Invitation.lead_id),
        )
        .group_by(*[c.element for c in k])
    )

    k = keyed(
        DefeatRequest.store_id,
        DefeatRequest.requested_by_id,
        DefeatRequest.created_at,
        Lead.source_channel_id,
        Lead.grade_id,
    )
    selects.append(
        select(*k, *counters(defeat_requests=one))
        .join(Lead, Lead.id == DefeatRequest.lead_id)
        .where(*limits(DefeatRequest.created_at, DefeatRequest.store_id, DefeatRequest.lead_id))
        .group_by(*[c.element for c in k])
    )

    won_ids = [s.id for s in stages() if s.kind == StageKind.WON] or [-1]
    k = keyed(
        StageChange.store_id, Lead.owner_id, StageChange.created_at, Lead.source_channel_id, Lead.grade_id
    )
    selects.append(
        select(*k, *counters(won=func.count(func.distinct(StageChange.lead_id))))
        .join(Lead, Lead.id == StageChange.lead_id)
        .where(
            StageChange.to_stage_id.in_(won_ids),
            *limits(StageChange.created_at, StageChange.store_id, StageChange.lead_id),
        )
        .group_by(*[c.element for c in k])
    )
    return selects


def contributions_select(**limits):
    """All families summed per key: the rows daily_stats should hold for these limits."""
    families = union_all(*_family_selects(**limits)).subquery("facts")
    return select(
        *[families.c[k] for k in KEYS], *[func.sum(families.c[c]).label(c) for c in COUNTERS]
    ).group_by(*[families.c[k] for k in KEYS])


# ---- aggregate families: tables kept by the same mechanism --------------------------------------


@dataclass(frozen=True)
class Family:
    """A base table of integer counters per key, its rollups (the base table summed over some of
    its keys) and the SQL of the rows it should hold: `contributions(lead_ids=…, visit_ids=…,
    since=…, until=…, store_ids=…)` returns one row per key with every key and counter column,
    limited to some leads (and walk-in visits) or, for a rebuild, to a time range and stores.
    `tracked()` maps each model to the fields whose change changes a lead's contribution;
    `ignores(obj)`, when given, tells a tracked row whose change cannot change it whatever its
    fields (the lead's share is then not read for it)."""

    model: type
    keys: tuple[str, ...]
    counters: tuple[str, ...]
    rollups: tuple
    contributions: Callable
    tracked: Callable[[], dict]
    ignores: Callable[[object], bool] | None = None


def families() -> tuple[Family, ...]:
    """Every family of aggregates: the daily ones here, the calendar periods'
    (app/reports/periods.py) and today's open work (app/reports/open_work.py)."""
    from app.reports.open_work import OPEN_WORK
    from app.reports.periods import PERIODS

    return (DAILY, PERIODS, OPEN_WORK)


def _snapshot(family: Family, lead_ids: set[int], visit_ids: set[int]) -> dict[tuple, list]:
    out: dict[tuple, list] = {}
    leads, visits = sorted(lead_ids), sorted(visit_ids)
    width = len(family.keys)
    norm = _key_types(family)
    for i in range(0, max(len(leads), len(visits)), CHUNK):
        params = {"lead_ids": leads[i : i + CHUNK]}
        if visits[i : i + CHUNK]:
            params["visit_ids"] = visits[i : i + CHUNK]
        for row in db.session.execute(_units_statement(family, "visit_ids" in params), params):
            key = tuple(f(v) for f, v in zip(norm, row[:width], strict=True))
            values = [int(v or 0) for v in row[width:]]
            if key in out:
                out[key] = [a + b for a, b in zip(out[key], values, strict=True)]
            else:
                out[key] = values
    return out


_STATEMENTS: dict = {}  # the contribution SELECTs of some units, built once per family and setting


def _units_statement(family: Family, with_visits: bool):
    """The family's contribution SELECT limited to the leads (and walk-in visits) given as the
    expanding parameters `lead_ids` (and `visit_ids`): built once per database, zones and pipeline
    stages (building it costs more than running it for a lead)."""
    from app.admin.reference import stages

    key = (
        family.model.__tablename__,
        with_visits,
        str(db.session.get_bind().url),
        repr(sorted(_zones().items())),
        tuple((s.id, s.code, str(s.kind), s.sort_order) for s in stages()),
    )
    if key not in _STATEMENTS:
        leads = bindparam("lead_ids", expanding=True)
        visits = bindparam("visit_ids", expanding=True) if with_visits else None
        _STATEMENTS[key] = family.contributions(lead_ids=leads, visit_ids=visits)
    return _STATEMENTS[key]


def _as_date(value) -> date:
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


@cache
def _key_types(family: Family) -> tuple:
    """How each key column read back is normalised (SQLite returns a computed date as text)."""
    columns = family.model.__table__.c
    kinds = {Date: _as_date, Integer: int, String: str}
    return tuple(next(f for t, f in kinds.items() if isinstance(columns[k].type, t)) for k in family.keys)


def _apply(family: Family, before: dict, after: dict) -> None:
    """Add after − before to the family's base table and each rollup (one upsert per table)."""
    zero = [0] * len(family.counters)
    deltas: dict[tuple, list] = {}
    for key in set(before) | set(after):
        old, new = before.get(key) or zero, after.get(key) or zero
        delta = [n - o for o, n in zip(old, new, strict=True)]
        if any(delta):
            deltas[key] = delta
    if not deltas:
        return
    for table, keys, rows in _tables(family, deltas):
        if rows:
            _upsert(family, table, keys, rows)


def _tables(family: Family, deltas: dict[tuple, list]) -> list[tuple]:
    """(table, its keys, its rows) for the base table and each rollup, from base-table deltas."""
    return [(family.model.__table__, family.keys, deltas)] + [
        (model.__table__, keys, rolled_up(deltas, keys, family, by_month=_by_month(model)))
        for model, keys in family.rollups
    ]


def _by_month(model) -> bool:
    """Whether the rollup sums days into months (its `day` key is the month's first day)."""
    return getattr(model, "by_month", False)


def rolled_up(
    deltas: dict[tuple, list], keys: tuple[str, ...], family: Family | None = None, by_month: bool = False
) -> dict:
    """Base-table deltas (keyed by the family's keys, daily_stats' by default) summed per `keys`,
    a rollup's key columns; `by_month`: with the day key turned into its month's first day."""
    family = family or DAILY
    where = [family.keys.index(k) for k in keys]
    month_at = keys.index("day") if by_month else None
    zero = [0] * len(family.counters)
    out: dict[tuple, list] = {}
    for key, delta in deltas.items():
        short = tuple(key[i] for i in where)
        if month_at is not None:
            short = (*short[:month_at], month_start(short[month_at]), *short[month_at + 1 :])
        out[short] = [a + b for a, b in zip(out.get(short, zero), delta, strict=True)]
    return {k: v for k, v in out.items() if any(v)}


@cache
def _adding(table, counters: tuple[str, ...]) -> dict:
    """The ON CONFLICT … DO UPDATE SET that adds the new row's counters to the stored ones (built
    once per table: 30 column expressions cost more Python than the upsert's round trip)."""
    excluded = table.alias("excluded")
    return {c: table.c[c] + excluded.c[c] for c in counters}


@cache
def _upsert_statement(dialect: str, table, keys, counters):
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_update(index_elements=list(keys), set_=_adding(table, counters))


def _upsert(family: Family, table, keys, deltas: dict) -> None:
    rows = [
        {**dict(zip(keys, key, strict=True)), **dict(zip(family.counters, delta, strict=True))}
        for key, delta in deltas.items()
    ]
    stmt = _upsert_statement(db.session.get_bind().dialect.name, table, keys, family.counters)
    db.session.execute(stmt, rows)


# ---- incremental maintenance ------------------------------------------------------------------

LEAD_FIELDS = (
    "store_id",
    "owner_id",
    "source_channel_id",
    "grade_id",
    "created_at",
    "merged_into_id",
    "arrived_at",
    "won_at",
    "assigned_at",
    "first_contacted_at",
)
FACT_FIELDS = {
    "follow_ups": ("lead_id", "store_id", "user_id", "occurred_at", "method", "is_effective"),
    "showroom_visits": (
        "lead_id",
        "store_id",
        "consultant_id",
        "arrived_at",
        "source_channel_id",
        "is_first_visit",
        "left_contact",
        "test_drive",
        "party_size",
        "left_at",
    ),
    "invitations": ("lead_id", "store_id", "inviter_id", "invited_at", "is_walk_in"),
    "defeat_requests": ("lead_id", "store_id", "requested_by_id", "created_at"),
    "stage_changes": ("lead_id", "store_id", "to_stage_id", "created_at"),
}


def _tracked_tables() -> dict:
    from app.followups.models import DefeatRequest, FollowUp
    from app.invitations.models import Invitation
    from app.leads.models import Lead, StageChange
    from app.showroom.models import ShowroomVisit

    return {
        Lead: LEAD_FIELDS,
        FollowUp: FACT_FIELDS["follow_ups"],
        ShowroomVisit: FACT_FIELDS["showroom_visits"],
        Invitation: FACT_FIELDS["invitations"],
        DefeatRequest: FACT_FIELDS["defeat_requests"],
        StageChange: FACT_FIELDS["stage_changes"],
    }


def _outside_won_stages(obj) -> bool:
    """A stage change into a stage that is not won, before and after this flush: the daily tables
    count only moves into a won stage (`won`), so most moves on the board leave them alone."""
    from app.admin.models import StageKind
    from app.admin.reference import stages
    from app.leads.models import StageChange

    if not isinstance(obj, StageChange):
        return False
    won = {s.id for s in stages() if s.kind == StageKind.WON}
    history = inspect(obj).attrs["to_stage_id"].history
    return not ({obj.to_stage_id, *(history.deleted or ())} & won)


DAILY = Family(DailyStat, KEYS, COUNTERS, ROLLUPS, contributions_select, _tracked_tables, _outside_won_stages)


def _units(session: Session, tracked: dict, ignores=None) -> tuple[set[int], set[int]]:
    """The leads (and walk-in visits) whose contribution to a family this flush may change:
    `tracked` maps each model to the fields the family reads, `ignores` (if given) leaves out a
    row whose change cannot change the family."""
    from app.leads.models import Lead
    from app.showroom.models import ShowroomVisit

    leads: set[int] = set()
    visits: set[int] = set()
    for obj, kind in (
        [(o, "new") for o in session.new]
        + [(o, "dirty") for o in session.dirty]
        + [(o, "deleted") for o in session.deleted]
    ):
        fields = tracked.get(type(obj))
        if fields is None:
            continue
        state = inspect(obj)
        if kind == "dirty" and not any(state.attrs[f].history.has_changes() for f in fields):
            continue
        if ignores is not None and ignores(obj):
            continue
        if isinstance(obj, Lead):
            if obj.id is not None:
                leads.add(obj.id)
            continue
        lead_id = obj.__dict__.get("lead_id")
        if lead_id is None and obj.__dict__.get("lead") is not None:
            lead_id = obj.__dict__["lead"].id
        if lead_id is not None:
            leads.add(lead_id)
        for old in state.attrs["lead_id"].history.deleted or ():
            if old is not None:
                leads.add(old)
        if isinstance(obj, ShowroomVisit) and obj.id is not None:
            visits.add(obj.id)  # counts as its own unit while it has no lead
    return leads, visits


def _before_flush(session: Session, _context, _instances) -> None:
    if session.info.get(OFF):
        return
    units = {}
    for family in _kept(session):
        units[family] = _units(session, family.tracked(), family.ignores)
    stash = {}
    with _share_reads(session, any(leads or visits for leads, visits in units.values())):
        for family, (leads, visits) in units.items():
            stash[family] = (leads, visits, _snapshot(family, leads, visits) if (leads or visits) else {})
    session.info[_BEFORE] = stash


def _after_flush(session: Session, _context) -> None:
    stash = session.info.pop(_BEFORE, None)
    if session.info.get(OFF) or stash is None:
        return
    units = {}
    for family, (old_leads, old_visits, _before) in stash.items():
        leads, visits = _units(session, family.tracked(), family.ignores)
        # Units first seen after the flush (new leads, new walk-in visits) contributed nothing
        # before it; facts always carry their lead_id (no relationship sets it), so an existing
        # lead is seen before.
        if leads | old_leads or visits | old_visits:
            units[family] = (leads | old_leads, visits | old_visits)
    with _share_reads(session, bool(units)):
        after = {family: _snapshot(family, *unit) for family, unit in units.items()}
    for family, rows in after.items():
        _apply(family, stash[family][2], rows)


@contextmanager
def _share_reads(session: Session, reading: bool):
    """Around a flush's reads of the touched leads' shares: PostgreSQL plans each of these
    statements once per connection (they read by primary and foreign keys, so no plan depends on
    the ids), not on every execution as the application's other statements."""
    if not reading:
        yield
        return
    with generic_plans(session):
        yield


_READY: dict = {}  # per database and table: whether the table exists (not before its migration)


def _kept(session: Session) -> list[Family]:
    """The families whose tables this database has (asked once per process, database and table)."""
    try:
        bind = session.get_bind()
    except Exception:  # noqa: BLE001 - no bind yet: nothing to maintain
        return []
    out = []
    for family in families():
        key = (str(bind.url), family.model.__tablename__)
        if key not in _READY:
            from sqlalchemy import inspect as sa_inspect

            names = [m.__tablename__ for m, _keys in family.rollups] or [family.model.__tablename__]
            _READY[key] = sa_inspect(session.connection()).has_table(names[-1])
        if _READY[key]:
            out.append(family)
    return out


def family_kept(family: Family) -> bool:
    """Whether this database has the family's tables (its migration has run)."""
    return family in _kept(db.session())


def _bulk_statement(state) -> object | None:
    """Maintain the aggregates around a bulk UPDATE or DELETE of leads or facts."""
    if not (state.is_update or state.is_delete) or state.session.info.get(OFF):
        return None
    statement = state.statement
    name = getattr(getattr(statement, "table", None), "name", None)
    if name not in _tracked_names():
        return None
    values = {}
    if state.is_update:
        values = {getattr(k, "key", k): v for k, v in (getattr(statement, "_values", None) or {}).items()}
    hit = []
    for family in _kept(state.session):
        fields = next((f for m, f in family.tracked().items() if m.__table__.name == name), None)
        if fields is not None and not (values and not set(values) & set(fields)):
            hit.append(family)
    if not hit:
        return None
    table = next(m.__table__ for m in DAILY.tracked() if m.__table__.name == name)
    where = statement.whereclause
    session = state.session
    rows = []
    if name == "leads":
        query = select(table.c.id)
        leads, visits = (
            {r[0] for r in session.execute(query.where(where) if where is not None else query)},
            set(),
        )
    else:
        query = select(table.c.id, table.c.lead_id)
        rows = list(session.execute(query.where(where) if where is not None else query))
        leads = {r.lead_id for r in rows if r.lead_id is not None}
        visits = {r.id for r in rows if r.lead_id is None} if name == "showroom_visits" else set()
        value = getattr(values.get("lead_id"), "value", values.get("lead_id"))
        if isinstance(value, int):
            leads.add(value)
    if not (leads or visits):
        return None
    before = {family: _snapshot(family, leads, visits) for family in hit}
    result = state.invoke_statement()
    if name == "showroom_visits" and rows and state.is_update:
        ids = [r.id for r in rows]
        for i in range(0, len(ids), CHUNK):
            for r in session.execute(
                select(table.c.id, table.c.lead_id).where(table.c.id.in_(ids[i : i + CHUNK]))
            ):
                (leads.add(r.lead_id) if r.lead_id is not None else visits.add(r.id))
    for family in hit:
        _apply(family, before[family], _snapshot(family, leads, visits))
    return result


@cache
def _tracked_names() -> frozenset[str]:
    return frozenset(m.__table__.name for family in families() for m in family.tracked())


def store_day(when: datetime, store_id: int, dialect: str) -> date:
    """The store-local day of naive UTC `when` exactly as `local_day` computes it in SQL on `dialect`
    (zone rules on PostgreSQL, the zone's current UTC offset on SQLite)."""
    from app.core.timeutil import default_zone, to_local, utc_offset_minutes

    zone = store_zones().get(store_id) or default_zone()
    if dialect == "postgresql":
        return to_local(when, zone).date()
    return (when + timedelta(minutes=utc_offset_minutes(zone))).date()


def known_deltas(parts: Iterable[tuple[tuple, dict[str, int]]], family: Family | None = None) -> dict:
    """(key, {counter: n}) parts of a change whose effect is known without reading the facts
    (a door check-in), summed per key into deltas of the family's base table (daily_stats by
    default)."""
    counters = (family or DAILY).counters
    deltas: dict[tuple, list] = {}
    for key, counts in parts:
        row = deltas.setdefault(tuple(key), [0] * len(counters))
        for name, n in counts.items():
            row[counters.index(name)] += n
    return {k: v for k, v in deltas.items() if any(v)}


@contextmanager
def aggregates_kept_by_caller():
    """Inside: statements on leads and facts do not maintain the aggregates (the caller adds the
    deltas it knows, `add_deltas` / `gated_upserts`). Flush first: pending ORM changes would be
    flushed in here without their contributions."""
    session = db.session()
    owned = not session.info.get(OFF)
    session.info[OFF] = True
    try:
        yield
    finally:
        if owned:
            session.info.pop(OFF, None)


def add_deltas(deltas: dict[tuple, list], family: Family | None = None) -> None:
    """Add `known_deltas` to the family's base table (daily_stats by default) and each rollup now
    (one upsert per table)."""
    _apply(family or DAILY, {}, deltas)


def gated_upsert_parts(deltas: dict[tuple, list], family: Family | None = None) -> tuple[tuple, dict]:
    """The layout of the upserts of `add_deltas` (per table written: its place among the family's
    tables, its number of rows and the counters they change) and their bind parameters, for
    `gated_upserts`: a statement built once per layout runs with each scan's values.

    Only the counters a row changes are written: the others keep their value, or their default
    of 0 in a new row (a door scan moves a handful of the 27)."""
    family = family or DAILY
    layout, params = [], {}
    for n, (_table, keys, rows) in enumerate(_tables(family, deltas)):
        used = tuple(i for i in range(len(family.counters)) if any(d[i] for d in rows.values()))
        if not used:
            continue
        layout.append((n, len(rows), used))
        for r, (key, delta) in enumerate(rows.items()):
            params.update({f"d{n}_{r}_{c}": v for c, v in zip(keys, key, strict=True)})
            params.update({f"d{n}_{r}_{family.counters[i]}": delta[i] for i in used})
    return tuple(layout), params


def gated_upserts(layout: tuple, gate, family: Family | None = None) -> list:
    """The upserts of `add_deltas` as INSERT … SELECT … WHERE `gate`, for a data-modifying WITH
    that adds them only when its own write happened; their values are bind parameters
    (`gated_upsert_parts` gives the layout and the values)."""
    from sqlalchemy.dialects import postgresql

    family = family or DAILY
    tables = [(family.model.__table__, family.keys)] + [(m.__table__, k) for m, k in family.rollups]
    out = []
    for n, n_rows, used in layout:
        table, keys = tables[n]
        counters = tuple(family.counters[i] for i in used)
        columns = [*keys, *counters]
        selects = [
            select(*[bindparam(f"d{n}_{r}_{c}", type_=table.c[c].type).label(c) for c in columns]).where(gate)
            for r in range(n_rows)
        ]
        stmt = postgresql.insert(table).from_select(
            columns, union_all(*selects) if n_rows > 1 else selects[0], include_defaults=False
        )
        out.append(stmt.on_conflict_do_update(index_elements=list(keys), set_=_adding(table, counters)))
    return out


def contributions_of(family: Family, lead_ids: set[int]) -> dict[tuple, list]:
    """The family's rows for these leads as they stand (key -> counters), read from the facts."""
    return _snapshot(family, lead_ids, set())


def add_leads(lead_ids: Iterable[int]) -> None:
    """Count leads inserted around the ORM (the import's COPY): they had no contribution before."""
    ids = set(lead_ids)
    for family in _kept(db.session()) if ids else ():
        _apply(family, {}, _snapshot(family, ids, set()))


def install() -> None:
    """Keep the aggregates current on every session (once per process)."""
    from app.accounts.models import Store

    for name, func_ in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("do_orm_execute", _bulk_statement),
    ):
        if not event.contains(Session, name, func_):
            event.listen(Session, name, func_)
    for name in ("after_insert", "after_update", "after_delete"):
        if not event.contains(Store, name, _forget_zones):
            event.listen(Store, name, _forget_zones)


# ---- rebuild ----------------------------------------------------------------------------------


def rebuild(start: date | None = None, end: date | None = None, store_ids: list[int] | None = None) -> int:
    """Recompute daily_stats and its rollups for local days start..end (all when None) of the
    stores (all when None) from the raw rows with INSERT … SELECT; return the daily_stats rows.
    Each rollup is daily_stats summed over its keys, as maintenance adds it. The period aggregates
    have their own rebuild (`app.reports.periods.rebuild`)."""
    from app.core.timeutil import local_midnight_utc

    since = local_midnight_utc(start - timedelta(days=1)) if start else None  # any zone's day fits in ±1 day
    until = local_midnight_utc(end + timedelta(days=2)) if end else None
    for model in (DailyStat, *(m for m, _keys in ROLLUPS)):
        stmt = delete(model)
        # A rollup by month is refilled for every month the range touches (from daily_stats,
        # whose other days of those months stay as they are); its `day` is the month's first.
        if start:
            stmt = stmt.where(model.day >= (month_start(start) if _by_month(model) else start))
        if end:
            stmt = stmt.where(model.day <= end)
        if store_ids is not None:
            stmt = stmt.where(model.store_id.in_(store_ids))
        db.session.execute(stmt.execution_options(synchronize_session=False))
    source = contributions_select(since=since, until=until, store_ids=store_ids).subquery("rows")
    conds = []
    if start:
        conds.append(source.c.day >= day_literal(start))
    if end:
        conds.append(source.c.day <= day_literal(end))
    chosen = select(*source.c).where(*conds)
    db.session.execute(DailyStat.__table__.insert().from_select([*KEYS, *COUNTERS], chosen))
    stats = DailyStat.__table__

    def limits(first: date | None, last: date | None) -> list:
        conds = []
        if first:
            conds.append(stats.c.day >= first)
        if last:
            conds.append(stats.c.day <= last)
        if store_ids is not None:
            conds.append(stats.c.store_id.in_(store_ids))
        return conds

    whole_months = limits(start and month_start(start), end and month_end(end))
    return fill_rollups(DAILY, limits(start, end), whole_months)


def fill_rollups(family: Family, conds: list, month_conds: list | None = None) -> int:
    """Insert each rollup of the family as its base table summed over the rollup's keys, for the
    base table's rows matching `conds` (`month_conds`, when given, for a rollup by month: its whole
    months) (the caller has deleted the rollups' rows there); return how many base-table rows
    match `conds`."""
    base = family.model.__table__
    dialect = db.session.get_bind().dialect.name
    for model, keys in family.rollups:
        columns = [base.c[k] for k in keys]
        where = conds
        if _by_month(model):
            columns = [month_of(c, dialect) if k == "day" else c for k, c in zip(keys, columns, strict=True)]
            where = conds if month_conds is None else month_conds
        rollup = (
            select(*columns, *[func.sum(base.c[c]) for c in family.counters]).where(*where).group_by(*columns)
        )
        db.session.execute(model.__table__.insert().from_select([*keys, *family.counters], rollup))
    count = select(func.count()).select_from(base).where(*conds)
    return db.session.execute(count).scalar() or 0


def month_of(day_column, dialect: str):
    """SQL of the first day of a stored day's month (SQLite keeps a date as ISO text)."""
    if dialect == "postgresql":
        return func.date_trunc("month", day_column).cast(Date)
    return func.date(day_column, "start of month")


def day_literal(day: date):
    if db.session.get_bind().dialect.name == "postgresql":
        return literal(day, Date)
    return literal(day.isoformat())
