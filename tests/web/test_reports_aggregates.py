"""The daily report aggregates equal a recount from the raw rows, after the demo seed and after
changes made through the services (kept current in the same transaction), and the reports read
them for sums of days."""

import math
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.accounts.models import Role, Store, User
from app.accounts.services import deactivate_user
from app.admin import reference
from app.admin.defaults import ensure_reference_data
from app.admin.models import StageKind
from app.core.timeutil import to_local, utcnow
from app.demo.seed import seed_demo_data
from app.followups.defeats import request_defeat
from app.followups.models import DefeatRequest, FollowUp
from app.followups.services import FollowUpInput, change_grade, log_followup
from app.invitations.models import Invitation
from app.leads.merge import merge_leads
from app.leads.models import Lead, StageChange
from app.leads.services import change_owner
from app.pipeline.stages import set_stage
from app.reports import aggregates, open_work
from app.reports.models import COUNTERS, KEYS, ROLLUPS, DailyStat, DailyTotal, MonthlyTotal
from app.showroom.models import ShowroomVisit
from app.showroom.services import mark_departure
from tests.conftest import _clean_tables
from tests.helpers_aggregates import owned_open_leads, stored_rows
from tests.helpers_open_work import assert_open_work_current


def _seed(db, n_leads=400):
    db.session.rollback()
    _clean_tables()
    reference.clear_cache()
    ensure_reference_data()
    db.session.commit()
    seed_demo_data(n_leads=n_leads, n_stores=2, seed=5, echo=lambda *_: None)


def recount(db) -> dict:
    """Every counter per key, counted in Python from the raw rows (an independent definition)."""
    zones = {s.id: s.timezone for s in db.session.execute(select(Store)).scalars()}
    won_ids = {s.id for s in reference.stages() if s.kind == StageKind.WON}
    leads = {lead.id: lead for lead in db.session.execute(select(Lead)).scalars()}
    out: dict = defaultdict(Counter)

    def key(store_id, consultant_id, when, channel_id, grade_id):
        return (
            store_id,
            consultant_id or 0,
            to_local(when, zones[store_id]).date(),
            channel_id or 0,
            grade_id or 0,
        )

    for lead in leads.values():
        if lead.merged_into_id is None:
            k = key(lead.store_id, lead.owner_id, lead.created_at, lead.source_channel_id, lead.grade_id)
            out[k]["new_leads"] += 1
            out[k]["new_visited"] += lead.arrived_at is not None
            out[k]["new_won"] += lead.won_at is not None
            if lead.first_contacted_at is not None:
                out[k]["new_contacted"] += 1
                out[k]["contact_micros"] += micros(
                    lead.assigned_at or lead.created_at, lead.first_contacted_at
                )
            if lead.won_at is not None:
                k = key(lead.store_id, lead.owner_id, lead.won_at, lead.source_channel_id, lead.grade_id)
                out[k]["won_cycle_leads"] += 1
                out[k]["cycle_micros"] += micros(lead.created_at, lead.won_at)
    followed = defaultdict(set)
    for fu in db.session.execute(select(FollowUp)).scalars():
        lead = leads[fu.lead_id]
        k = key(fu.store_id, fu.user_id, fu.occurred_at, lead.source_channel_id, lead.grade_id)
        out[k]["followups"] += 1
        out[k]["effective"] += bool(fu.is_effective)
        out[k][f"m_{fu.method.value if hasattr(fu.method, 'value') else fu.method}"] += 1
        followed[k].add(fu.lead_id)
    for k, ids in followed.items():
        out[k]["followed_leads"] += len(ids)
    for v in db.session.execute(select(ShowroomVisit)).scalars():
        lead = leads.get(v.lead_id)
        k = key(
            v.store_id, v.consultant_id, v.arrived_at, v.source_channel_id, lead.grade_id if lead else None
        )
        out[k]["visits"] += 1
        out[k]["first_visits"] += bool(v.is_first_visit)
        out[k]["return_visits"] += not v.is_first_visit
        out[k]["retained"] += bool(v.is_first_visit and v.left_contact)
        out[k]["test_drives"] += bool(v.test_drive)
        out[k]["people"] += v.party_size or 0
        if v.left_at is not None:
            out[k]["stayed_visits"] += 1
            out[k]["stay_micros"] += micros(v.arrived_at, v.left_at)
    for inv in db.session.execute(select(Invitation)).scalars():
        if inv.is_walk_in or inv.invited_at is None:
            continue
        lead = leads[inv.lead_id]
        out[key(inv.store_id, inv.inviter_id, inv.invited_at, lead.source_channel_id, lead.grade_id)][
            "invitations"
        ] += 1
    for req in db.session.execute(select(DefeatRequest)).scalars():
        lead = leads[req.lead_id]
        k = key(req.store_id, req.requested_by_id, req.created_at, lead.source_channel_id, lead.grade_id)
        out[k]["defeat_requests"] += 1
    won = defaultdict(set)
    for sc in db.session.execute(select(StageChange).where(StageChange.to_stage_id.in_(won_ids))).scalars():
        lead = leads[sc.lead_id]
        won[key(sc.store_id, lead.owner_id, sc.created_at, lead.source_channel_id, lead.grade_id)].add(
            sc.lead_id
        )
    for k, ids in won.items():
        out[k]["won"] += len(ids)
    return {k: tuple(c[name] for name in COUNTERS) for k, c in out.items() if any(c.values())}


def micros(start, end) -> int:
    return (end - start) // timedelta(microseconds=1)


def stored(db, model=DailyStat, keys=KEYS) -> dict:
    return stored_rows(db, model, keys, COUNTERS)


def rolled_up(stats: dict, keys: tuple, by_month: bool = False) -> dict:
    """The recount summed over the keys a rollup leaves out (in Python, independent of the SQL);
    `by_month`: each day counted in its month (the key holds the month's first day)."""
    where = [KEYS.index(k) for k in keys]
    totals: dict = {}
    for key, values in stats.items():
        short = tuple(key[i].replace(day=1) if by_month and KEYS[i] == "day" else key[i] for i in where)
        totals[short] = tuple(
            a + b for a, b in zip(totals.get(short, (0,) * len(COUNTERS)), values, strict=True)
        )
    return {k: v for k, v in totals.items() if any(v)}


def assert_rollups_equal(db, stats: dict) -> None:
    """daily_totals, daily_channels, daily_stores and monthly_totals hold `stats` (daily_stats
    rows) summed over their keys (monthly_totals: and over the days of each month)."""
    assert MonthlyTotal in {model for model, _keys in ROLLUPS}
    for model, keys in ROLLUPS:
        actual = stored(db, model, keys)
        expected = rolled_up(stats, keys, by_month=model is MonthlyTotal)
        assert actual == expected, (model.__tablename__, _diff(actual, expected))


def _diff(a: dict, b: dict) -> list:
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b), key=str) if a.get(k) != b.get(k)][:10]


def test_aggregates_equal_a_recount_of_the_seeded_months(db):
    _seed(db)
    expected = recount(db)
    assert sum(v[COUNTERS.index("new_leads")] for v in expected.values()) == 400
    assert sum(v[COUNTERS.index("followups")] for v in expected.values()) > 0
    assert sum(v[COUNTERS.index("won")] for v in expected.values()) > 0
    for counter in ("new_contacted", "contact_micros", "won_cycle_leads", "cycle_micros", "stayed_visits"):
        assert sum(v[COUNTERS.index(counter)] for v in expected.values()) > 0, counter
    actual = stored(db)
    assert actual == expected, _diff(actual, expected)
    assert_rollups_equal(db, expected)
    # A partial rebuild (one store, one month) leaves the same rows.
    store_id = next(iter(expected))[0]
    last = max(k[2] for k in expected)
    aggregates.rebuild(last.replace(day=1), last, [store_id])
    db.session.commit()
    assert stored(db) == expected
    assert_rollups_equal(db, expected)
    # Days in the middle of months: monthly_totals refills those whole months from daily_stats.
    first = min(k[2] for k in expected)
    aggregates.rebuild(first + timedelta(days=3), last - timedelta(days=2), [store_id])
    db.session.commit()
    assert stored(db) == expected
    assert_rollups_equal(db, expected)


def _consultants(db, store_id):
    return (
        db.session.execute(
            select(User)
            .where(User.store_id == store_id, User.role == Role.CONSULTANT, User.active.is_(True))
            .order_by(User.id)
        )
        .scalars()
        .all()
    )


def test_changes_through_the_services_keep_the_aggregates_equal_to_a_rebuild(db):
    """…and today's open work (open_work) equal to a count of the leads."""
    _seed(db, n_leads=300)
    assert stored(db) == recount(db)
    assert_open_work_current(db)
    now = utcnow()
    leads = owned_open_leads(db)
    a, b, c, d, e = leads[:5]
    people = _consultants(db, a.store_id)
    manager = (
        db.session.execute(select(User).where(User.store_id == a.store_id, User.role == Role.MANAGER))
        .scalars()
        .first()
    )
    author = db.session.get(User, a.owner_id)
    grades = reference.grades()
    # A follow-up (new fact), a grade change (moves all of the lead's counts), a reassignment.
    log_followup(
        a,
        FollowUpInput(
            method="phone",
            result="reached",
            content="聊了试驾安排，客户周末有空",
            next_due=(now + timedelta(days=2)).date(),
            next_content="再联系",
        ),
        author,
        now=now,
    )
    db.session.commit()
    change_grade(b, next(g.id for g in grades if g.id != b.grade_id), manager, now=now)
    other = next(p for p in people if p.id != c.owner_id)
    change_owner(c, other, actor=manager, kind="reassign", reason="test", now=now)
    db.session.commit()
    # Orders and a defeat request (stage changes), and a showroom visit of a known lead.
    set_stage(d, "won", manager, now=now)
    request_defeat(e, reference.defeat_reasons()[0].id, "预算不够", db.session.get(User, e.owner_id), now=now)
    db.session.add(
        ShowroomVisit(
            store_id=a.store_id,
            lead_id=a.id,
            consultant_id=a.owner_id,
            arrived_at=now,
            party_size=2,
            is_first_visit=False,
            test_drive=True,
        )
    )
    db.session.add(
        ShowroomVisit(
            store_id=a.store_id,
            lead_id=None,
            consultant_id=None,
            arrived_at=now,
            party_size=1,
            is_first_visit=True,
        )
    )
    db.session.commit()
    assert stored(db) == recount(db)
    assert_rollups_equal(db, recount(db))
    assert_open_work_current(db)
    # A follow-up edited (moved to another day) and one deleted.
    fu = (
        db.session.execute(select(FollowUp).where(FollowUp.lead_id == a.id).order_by(FollowUp.id))
        .scalars()
        .first()
    )
    fu.occurred_at = fu.occurred_at - timedelta(days=3)
    gone = db.session.execute(select(FollowUp).where(FollowUp.lead_id == b.id)).scalars().first()
    if gone is not None:
        db.session.delete(gone)
    db.session.commit()
    # The durations: a lead first contacted (by a follow-up, by its own field alone, by a bulk
    # UPDATE), one assigned later, one won, a visitor's departure (only its left_at changes).
    silent = (
        db.session.execute(
            select(Lead)
            .where(
                Lead.first_contacted_at.is_(None), Lead.owner_id.is_not(None), Lead.merged_into_id.is_(None)
            )
            .order_by(Lead.id)
        )
        .scalars()
        .all()
    )
    assert len(silent) >= 3
    first, second, third = silent[:3]
    log_followup(
        first,
        FollowUpInput(
            method="wechat",
            result="reached",
            content="加了微信，发了报价单",
            next_due=(now + timedelta(days=1)).date(),
            next_content="约到店",
        ),
        db.session.get(User, first.owner_id),
        now=now,
    )
    second.first_contacted_at = now - timedelta(minutes=7, microseconds=3)
    leads[9].assigned_at = leads[9].created_at + timedelta(hours=1, microseconds=11)
    db.session.commit()
    db.session.execute(
        update(Lead)
        .where(Lead.id == third.id)
        .values(first_contacted_at=third.created_at + timedelta(days=2, seconds=5))
        .execution_options(synchronize_session=False)
    )
    set_stage(leads[10], "won", manager, now=now)
    visit = (
        db.session.execute(
            select(ShowroomVisit).where(ShowroomVisit.left_at.is_(None)).order_by(ShowroomVisit.id)
        )
        .scalars()
        .first()
    )
    assert mark_departure(visit, manager, now=visit.arrived_at + timedelta(minutes=42, microseconds=5))
    db.session.commit()
    expected = recount(db)
    assert stored(db) == expected, _diff(stored(db), expected)
    assert_rollups_equal(db, expected)
    assert_open_work_current(db)
    # A merge (bulk UPDATE of the history rows) and a deactivation (bulk UPDATE of leads' owner).
    twins = leads[5:7]
    from app.leads.merge import MERGE_FIELDS

    choices = {field: twins[0].id for field in MERGE_FIELDS}
    choices["owner"] = twins[1].id  # the survivor takes the other lead's consultant (and store)
    merge_leads(twins, twins[0].id, choices, actor=manager, now=now)
    db.session.commit()
    leaving = db.session.get(User, leads[8].owner_id)
    successor = next(p for p in _consultants(db, leaving.store_id) if p.id != leaving.id)
    deactivate_user(leaving, successor, manager)
    db.session.commit()
    incremental = stored(db)
    incremental_rollups = [stored(db, model, keys) for model, keys in ROLLUPS]
    assert incremental == recount(db), _diff(incremental, recount(db))
    assert_rollups_equal(db, incremental)
    assert_open_work_current(db)
    open_work.rebuild()
    aggregates.rebuild()
    db.session.commit()
    assert_open_work_current(db)
    assert stored(db) == incremental
    assert [stored(db, model, keys) for model, keys in ROLLUPS] == incremental_rollups


def test_a_rolled_back_change_leaves_the_aggregates_alone(db):
    _seed(db, n_leads=120)
    before = stored(db)
    open_ids = [s.id for s in reference.stages() if s.kind == StageKind.OPEN]
    lead = (
        db.session.execute(
            select(Lead).where(Lead.owner_id.is_not(None), Lead.stage_id.in_(open_ids)).order_by(Lead.id)
        )
        .scalars()
        .first()
    )
    rollups = [stored(db, model, keys) for model, keys in ROLLUPS]
    set_stage(lead, "won", None)
    db.session.flush()
    assert stored(db) != before
    assert [stored(db, model, keys) for model, keys in ROLLUPS] != rollups
    db.session.rollback()
    assert stored(db) == before
    assert [stored(db, model, keys) for model, keys in ROLLUPS] == rollups


@pytest.mark.parametrize("scope", ["group", "store and channel", "manager and grade"])
@pytest.mark.parametrize(
    "key", ["daily", "comparison", "sources", "trends", "activity", "followups", "traffic", "retention"]
)
def test_reports_read_the_aggregates_and_agree_with_the_raw_rows(db, key, scope, monkeypatch):
    """A report built from the aggregates shows what the same report counted from raw rows shows:
    the whole group and a store (daily_stores, daily_channels, daily_totals), with a channel
    filter (daily_channels) and a grade filter (daily_stats)."""
    from app.reports import catalog, queries_daily
    from app.reports.filters import build_filter

    _seed(db, n_leads=300)
    role = Role.MANAGER if scope == "manager and grade" else Role.DIRECTOR
    user = db.session.execute(select(User).where(User.role == role).order_by(User.id)).scalars().first()
    last = max(k[2] for k in stored(db))
    args = {"period": "month", "date": last.replace(day=1).isoformat()}
    if scope == "store and channel":
        args.update(store=str(user.store_id or _first_store(db)), channel=str(reference.channels()[0].id))
    elif scope == "manager and grade":
        args["grade"] = str(reference.grades()[0].id)
    f = build_filter(user, args)
    assert queries_daily.usable(f)
    report = catalog.BY_KEY[key]
    fast = report.build(f)
    monkeypatch.setattr(queries_daily, "usable", lambda _f: False)
    slow = report.build(f)

    def by_label(rows):  # rows tied on the sort figure come in either order
        return sorted(rows, key=lambda r: (str(r.get("day", "")), str(r.get("label", ""))))

    assert len(fast.rows) == len(slow.rows)
    for a, b in zip(by_label(fast.rows), by_label(slow.rows), strict=True):
        assert_same_figures(a, b)
    assert_same_figures(fast.totals, slow.totals)
    if key in ("followups", "traffic") and scope == "group":  # the averages are there
        averages = {"followups": ("first_contact_hours", "cycle_days"), "traffic": ("stay_minutes",)}[key]
        for name in averages:
            assert any(r[name] for r in fast.rows), name
    assert getattr(fast, "comparison", None) == getattr(slow, "comparison", None)
    if scope == "group":
        assert any(v for r in fast.rows for v in r.values() if isinstance(v, int))


def test_whole_months_per_consultant_read_monthly_totals_and_agree_with_the_days(db, monkeypatch):
    """The group's per-consultant sums over a month or a quarter read a row per consultant and
    month; a grouping by day, a reader of days and a period that is not whole months read days;
    both give the same figures."""
    from flask import g

    from app.reports import queries_daily
    from app.reports.filters import build_filter

    _seed(db, n_leads=300)
    director = db.session.execute(select(User).where(User.role == Role.DIRECTOR)).scalars().first()
    last = max(k[2] for k in stored(db))
    names = {c: c for c in COUNTERS}
    for period in ("month", "quarter"):
        f = build_filter(director, {"period": period, "date": last.isoformat()})
        assert queries_daily._table(f, "consultant") is MonthlyTotal
        assert queries_daily._table(f, "consultant", "quarter") is MonthlyTotal
        assert queries_daily._table(f, "consultant", "day") is DailyTotal
        assert queries_daily._table(f, "consultant", per_day=True) is DailyTotal
        g.pop("_report_daily_counts", None)
        by_month = queries_daily.counts(f, "consultant", names)
        assert sum(r["followups"] for r in by_month) > 0
        g.pop("_report_daily_counts", None)
        with monkeypatch.context() as m:
            m.setattr(queries_daily, "_whole_months", lambda _period: False)
            assert queries_daily._table(f, "consultant") is DailyTotal
            by_day = queries_daily.counts(f, "consultant", names)
        g.pop("_report_daily_counts", None)
        assert sorted(by_month, key=lambda r: r["key"] or 0) == sorted(by_day, key=lambda r: r["key"] or 0)
    part = build_filter(
        director, {"period": "custom", "start": last.replace(day=2).isoformat(), "end": last.isoformat()}
    )
    assert queries_daily._table(part, "consultant") is DailyTotal


def assert_same_figures(fast: dict | None, slow: dict | None) -> None:
    """The same row: counts equal, averages (floats from the aggregates' exact sums, numerics or
    julianday floats from the raw rows) equal to a millionth."""
    if fast is None or slow is None:
        assert fast is slow
        return
    assert fast.keys() == slow.keys()
    for k, v in fast.items():
        w = slow[k]
        if isinstance(v, float | Decimal) or isinstance(w, float | Decimal):
            assert v is not None and w is not None, (k, v, w)
            assert math.isclose(float(v), float(w), rel_tol=1e-6, abs_tol=1e-9), (k, v, w)
        else:
            assert v == w, (k, v, w)


def _first_store(db) -> int:
    return db.session.execute(select(Store.id).order_by(Store.id)).scalar()


def test_imported_leads_are_counted(factory, login_as, db):
    """The spreadsheet import writes leads around the ORM (COPY on PostgreSQL): they are added too."""
    from tests.helpers_intake import csv_bytes, lead_row, run_import

    store = factory.store("BJ01")
    db.session.commit()
    manager = login_as("manager", store)
    rows = [
        lead_row(),
        lead_row(name="李四", phone="139-0000-1111", gender="女", channel="展厅到店", grade="B"),
    ]
    run_import(manager, csv_bytes(rows))
    db.session.expire_all()
    expected = recount(db)
    assert sum(v[COUNTERS.index("new_leads")] for v in expected.values()) == 2
    assert stored(db) == expected
    assert_rollups_equal(db, expected)


def test_a_lead_s_contribution_is_read_with_one_statement_built_once_per_zone_setup(db):
    """The per-lead statement is built once and its ids bound when it runs; a store moving to
    another zone builds it again (the local days change), and it reads what the statement built
    for that lead alone reads."""
    _seed(db, n_leads=40)
    lead = db.session.execute(select(Lead).order_by(Lead.id).limit(1)).scalar_one()
    daily = aggregates.DAILY
    types = aggregates._key_types(daily)

    def built_for_the_lead():
        rows = db.session.execute(aggregates.contributions_select(lead_ids=[lead.id], visit_ids=[]))
        return {
            tuple(f(v) for f, v in zip(types, r[: len(KEYS)], strict=True)): [
                int(v or 0) for v in r[len(KEYS) :]
            ]
            for r in rows
        }

    first = aggregates._units_statement(daily, False)
    assert aggregates._units_statement(daily, False) is first
    assert aggregates._units_statement(daily, True) is not first
    assert aggregates._snapshot(daily, {lead.id}, set()) == built_for_the_lead() != {}
    db.session.get(Store, lead.store_id).timezone = "America/Los_Angeles"
    db.session.flush()
    aggregates._forget_zones()
    assert aggregates._units_statement(daily, False) is not first
    assert aggregates._snapshot(daily, {lead.id}, set()) == built_for_the_lead()
    db.session.rollback()
    aggregates._forget_zones()


def test_migration_0030_fills_the_duration_counters_as_a_rebuild_counts_them(db):
    """Migration 0030 fills its new columns in SQL of its own (it cannot import the models): from
    zero, the four tables hold what a recount of the raw rows gives."""
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    _seed(db, n_leads=200)
    expected = recount(db)
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0030_daily_durations.py"
    spec = importlib.util.spec_from_file_location("migration_0030", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    for table in migration.TABLES:
        db.session.execute(db.metadata.tables[table].update().values(dict.fromkeys(migration.NEW, 0)))
    db.session.commit()
    assert stored(db) != expected
    with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration._fill()
    db.session.expire_all()
    assert stored(db) == expected, _diff(stored(db), expected)
    assert_rollups_equal(db, expected)


def test_migration_0034_fills_the_monthly_totals_as_maintenance_keeps_them(db):
    """Migration 0034 creates monthly_totals and fills it in SQL of its own (it cannot import the
    models): the table then holds daily_stats summed per consultant and month."""
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    _seed(db, n_leads=200)
    expected = recount(db)
    kept = stored(db, MonthlyTotal, ("store_id", "consultant_id", "day"))
    assert kept
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0034_monthly_totals.py"
    spec = importlib.util.spec_from_file_location("migration_0034", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert set(migration.COUNTERS) == set(COUNTERS)
    db.session.commit()
    with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.downgrade()
        migration.upgrade()
    db.session.expire_all()
    assert stored(db, MonthlyTotal, ("store_id", "consultant_id", "day")) == kept
    assert_rollups_equal(db, expected)


def test_a_move_between_open_stages_does_not_read_the_daily_shares_and_a_won_one_does(db, monkeypatch):
    """The daily tables count only moves into a won stage: a board move between open stages
    leaves them alone without reading the lead's share (the period tables still follow it), a
    move into a won stage and back out is counted, and the tables equal a recount throughout."""
    _seed(db, n_leads=120)
    open_codes = [s.code for s in reference.stages() if s.kind == StageKind.OPEN]
    lead = db.session.execute(
        select(Lead)
        .where(Lead.stage_id == reference.stage_by_code(open_codes[0]).id, Lead.owner_id.is_not(None))
        .order_by(Lead.id)
        .limit(1)
    ).scalar_one()
    owner = db.session.get(User, lead.owner_id)
    read = []
    real = aggregates._snapshot
    monkeypatch.setattr(
        aggregates,
        "_snapshot",
        lambda family, leads, visits: read.append(family) or real(family, leads, visits),
    )
    set_stage(lead, open_codes[1], owner)
    db.session.commit()
    assert aggregates.DAILY not in read and read  # the period family read the lead's share
    assert stored(db) == recount(db)
    read.clear()
    set_stage(lead, "won", owner)
    db.session.commit()
    assert aggregates.DAILY in read
    assert stored(db) == recount(db)
    set_stage(lead, open_codes[1], owner)
    db.session.commit()
    assert stored(db) == recount(db)


def test_the_counters_select_is_built_once_per_shape_and_sums_each_filter_s_own_days(db):
    """Every report reads its sums through one SELECT per table, grouping and set of filter keys,
    built once and bound per request: two stores, two months and a consultant each get their own
    sums (compared with daily_stats summed in Python)."""
    from app.reports import queries_daily
    from app.reports.filters import build_filter

    _seed(db, n_leads=300)
    rows = stored(db)
    director = db.session.execute(select(User).where(User.role == Role.DIRECTOR)).scalars().first()
    days = sorted({k[KEYS.index("day")] for k in rows})
    months = sorted({d.replace(day=1) for d in days})[-2:]
    stores = sorted({k[KEYS.index("store_id")] for k in rows})
    consultant = next(k[KEYS.index("consultant_id")] for k in rows if k[KEYS.index("consultant_id")])
    shapes = set()
    for store_id in stores:
        for month in months:
            for consultant_id in (None, consultant):
                args = {"period": "month", "date": month.isoformat(), "store": str(store_id)}
                if consultant_id:
                    args["consultant"] = str(consultant_id)
                f = build_filter(director, args)
                if consultant_id and f.consultant_id is None:
                    continue  # the consultant works in the other store
                t = queries_daily._table(f, None)
                stmt, params = queries_daily._counters_statement(t, None, None, f)
                shapes.add(id(stmt))
                got = queries_daily._all_counters(f, None, None)[0]
                expected = [0] * len(COUNTERS)
                for key, values in rows.items():
                    k = dict(zip(KEYS, key, strict=True))
                    if (
                        k["store_id"] == store_id
                        and f.period.start <= k["day"] <= f.period.end
                        and (consultant_id is None or k["consultant_id"] == consultant_id)
                    ):
                        expected = [a + b for a, b in zip(expected, values, strict=True)]
                assert [got[c] for c in COUNTERS] == expected
    assert len(shapes) == 2  # store alone (daily_stores), store and consultant (daily_totals)
