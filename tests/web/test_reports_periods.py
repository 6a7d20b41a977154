"""The calendar-period report aggregates (the funnel's furthest stage per lead and the distinct
leads followed, per month and quarter) equal a recount from the raw rows after the demo seed and
after every kind of change (kept current in the same transaction), and the funnel and follow-ups
reports show the same whether they read them or the raw rows."""

from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role, Store, User
from app.admin import reference
from app.admin.models import StageKind
from app.checkin import services as checkin
from app.core.timeutil import to_local, utcnow
from app.followups.models import FollowUp
from app.followups.services import FollowUpInput, log_followup
from app.leads.merge import MERGE_FIELDS, merge_leads
from app.leads.models import Lead, StageChange
from app.leads.services import change_owner
from app.pipeline.stages import set_stage
from app.reports import aggregates, periods, queries, queries_periods
from app.reports.models import PERIOD_COUNTERS, PERIOD_KEYS, PERIOD_ROLLUPS, PeriodStat
from app.reports.rules import month_start, quarter_start
from tests.helpers_aggregates import owned_open_leads, stored_rows
from tests.helpers_invite import make_event, make_invitation
from tests.helpers_open_work import assert_open_work_current
from tests.web.test_reports_aggregates import _consultants, _diff, _seed


def recount(db) -> dict:
    """period_stats' rows counted in Python from the raw rows (an independent definition)."""
    zones = {s.id: s.timezone for s in db.session.execute(select(Store)).scalars()}
    stages = {s.id: s for s in reference.stages()}
    new = next((s.sort_order for s in stages.values() if s.code == "new"), 0)
    leads = {lead.id: lead for lead in db.session.execute(select(Lead)).scalars()}
    starts = {"M": month_start, "Q": quarter_start}

    def periods_of(store_id, when):
        day = to_local(when, zones[store_id]).date()
        return [(kind, start(day)) for kind, start in starts.items()]

    furthest: dict = {}  # (lead, kind, start, scope) -> reach
    facts = [
        (sc.lead_id, sc.store_id, sc.created_at, stages[sc.to_stage_id].sort_order)
        for sc in db.session.execute(select(StageChange)).scalars()
        if stages[sc.to_stage_id].kind != StageKind.LOST
    ]
    facts += [
        (lead.id, lead.store_id, lead.created_at, new) for lead in leads.values() if not lead.merged_into_id
    ]
    for lead_id, store_id, when, reach in facts:
        for kind, start in periods_of(store_id, when):
            for scope in (store_id, 0):
                k = (lead_id, kind, start, scope)
                furthest[k] = max(furthest.get(k, reach), reach)
    out: dict = defaultdict(lambda: [0, 0])
    for (lead_id, kind, start, scope), reach in furthest.items():
        lead = leads[lead_id]
        key = (kind, start, scope, lead.store_id, lead.owner_id or 0, lead.source_channel_id or 0)
        out[(*key, lead.grade_id or 0, reach)][0] += 1
    followed = defaultdict(set)
    for fu in db.session.execute(select(FollowUp)).scalars():
        for kind, start in periods_of(fu.store_id, fu.occurred_at):
            followed[(kind, start, fu.store_id, fu.store_id, fu.user_id or 0, 0, 0, 0)].add(fu.lead_id)
            followed[(kind, start, 0, 0, fu.user_id or 0, 0, 0, 0)].add(fu.lead_id)
    for key, ids in followed.items():
        out[key][1] += len(ids)
    return {k: tuple(v) for k, v in out.items() if any(v)}


def stored(db, model=PeriodStat, keys=PERIOD_KEYS) -> dict:
    return stored_rows(db, model, keys, PERIOD_COUNTERS)


def assert_current(db) -> None:
    """period_stats equals the recount, and each rollup equals it summed over the rollup's keys."""
    expected = recount(db)
    actual = stored(db)
    assert actual == expected, _diff(actual, expected)
    for model, keys in PERIOD_ROLLUPS:
        where = [PERIOD_KEYS.index(k) for k in keys]
        totals: dict = defaultdict(lambda: [0, 0])
        for key, values in expected.items():
            short = tuple(key[i] for i in where)
            totals[short] = [a + b for a, b in zip(totals[short], values, strict=True)]
        want = {k: tuple(v) for k, v in totals.items() if any(v)}
        assert stored(db, model, keys) == want, (model.__tablename__, _diff(stored(db, model, keys), want))


def test_period_aggregates_equal_a_recount_of_the_seeded_months_and_quarters(db):
    _seed(db)
    expected = recount(db)
    assert {k[0] for k in expected} == {"M", "Q"}
    assert (
        sum(v[0] for k, v in expected.items() if k[2] == 0 and k[0] == "M") >= 400
    )  # each lead once a month
    assert sum(v[1] for v in expected.values()) > 0
    assert_current(db)
    # A rebuild of one quarter (and of everything) leaves the same rows.
    last = max(k[1] for k in expected)
    periods.rebuild(last, last)
    db.session.commit()
    assert_current(db)
    periods.rebuild()
    db.session.commit()
    assert stored(db) == expected


def test_the_migration_fills_the_period_tables_as_the_rebuild_does(db):
    """Migration 0031 fills the tables from the raw rows with its own SQL (migrations import no
    models): run it again on a seeded database and it holds what a recount gives."""
    from flask_migrate import downgrade, upgrade

    _seed(db, n_leads=200)
    db.session.commit()
    db.session.close()
    downgrade(revision="0029")
    upgrade()
    db.session.close()
    aggregates._READY.clear()
    assert_current(db)


def _open_leads(db):
    return owned_open_leads(db)


def test_changes_keep_the_period_aggregates_equal_to_a_recount(db):
    _seed(db, n_leads=300)
    assert_current(db)
    now = utcnow()
    leads = _open_leads(db)
    a, b, c, d = leads[:4]
    manager = (
        db.session.execute(select(User).where(User.store_id == a.store_id, User.role == Role.MANAGER))
        .scalars()
        .first()
    )
    # A stage move (the furthest stage this month and quarter) and a move back (the furthest stays).
    set_stage(a, "negotiation", manager, now=now)
    db.session.commit()
    set_stage(a, "contacted", manager, now=now + timedelta(minutes=1))
    set_stage(d, "won", manager, now=now)
    db.session.commit()
    assert_current(db)
    # A follow-up added, one moved to another month and one deleted.
    log_followup(
        b,
        FollowUpInput(
            method="phone",
            result="reached",
            content="约了周末试驾",
            next_due=(now + timedelta(days=2)).date(),
            next_content="再联系",
        ),
        db.session.get(User, b.owner_id),
        now=now,
    )
    db.session.commit()
    assert_current(db)
    moved = db.session.execute(select(FollowUp).order_by(FollowUp.id)).scalars().first()
    moved.occurred_at = moved.occurred_at - timedelta(days=40)
    gone = db.session.execute(select(FollowUp).where(FollowUp.lead_id == b.id)).scalars().first()
    db.session.delete(gone)
    db.session.commit()
    assert_current(db)
    # A reassignment moves the lead's rows to the new owner.
    other = next(p for p in _consultants(db, c.store_id) if p.id != c.owner_id)
    change_owner(c, other, actor=manager, kind="reassign", reason="test", now=now)
    db.session.commit()
    assert_current(db)
    # A merge: the duplicate's history (bulk UPDATE of its stage changes and follow-ups) moves to
    # the survivor, which takes the other lead's consultant and store.
    twins = leads[5:7]
    choices = {field: twins[0].id for field in MERGE_FIELDS}
    choices["owner"] = twins[1].id
    merge_leads(twins, twins[0].id, choices, actor=manager, now=now)
    db.session.commit()
    assert_current(db)


def test_a_door_check_in_adds_its_move_to_the_period_aggregates(factory):
    from app.extensions import db

    store = factory.store()
    clerk = factory.user("clerk", store)
    consultant = factory.user("consultant", store)
    event = make_event(store, starts_in=timedelta(hours=-1))
    invited = factory.lead(store=store, owner=consultant, stage="invited", phone="+8613900000001")
    pooled = factory.lead(store=store, stage="new", phone="+8613900000003")
    won = factory.lead(store=store, owner=consultant, stage="won", phone="+8613900000004")
    earlier = factory.lead(store=store, owner=consultant, stage="invited", phone="+8613900000005")
    set_stage(earlier, "negotiation", consultant)  # already further this month: the check-in changes nothing
    set_stage(earlier, "invited", consultant)
    invitations = [make_invitation(event, lead, headcount=2) for lead in (invited, pooled, won, earlier)]
    db.session.commit()
    assert_current(db)
    for invitation in invitations:
        checkin.check_in(event, actor=clerk, invitation_id=invitation.id, headcount=1)
    checkin.register_walk_in(event, checkin.WalkIn("赵女士", "13800138000", headcount=2), actor=clerk)
    db.session.commit()
    visited = reference.stage_by_code("visited").sort_order
    month = ("M", month_start(to_local(utcnow(), store.timezone).date()), store.id, store.id, consultant.id)
    assert any(k[:5] == month and k[-1] == visited for k in stored(db))
    assert_current(db)
    assert_open_work_current(db)  # the door's move between open stages changes no open work


def test_imported_leads_are_counted_in_the_periods(factory, login_as, db):
    from tests.helpers_intake import csv_bytes, lead_row, run_import

    store = factory.store("BJ01")
    db.session.commit()
    manager = login_as("manager", store)
    run_import(manager, csv_bytes([lead_row(), lead_row(name="李四", phone="139-0000-1111", grade="B")]))
    db.session.expire_all()
    assert sum(v[0] for k, v in recount(db).items() if k[2] == 0 and k[0] == "M") == 2
    assert_current(db)
    assert_open_work_current(db)


@pytest.mark.parametrize("kind", ["month", "quarter"])
@pytest.mark.parametrize("scope", ["group", "store", "manager", "consultant and channel", "consultant"])
def test_funnel_and_followups_read_the_periods_and_agree_with_the_raw_rows(db, kind, scope, monkeypatch):
    """The same report from the period aggregates and from the raw rows: the funnel overall and by
    store, consultant and channel, and the follow-ups report (the distinct leads followed)."""
    from app.reports import catalog
    from app.reports.filters import build_filter

    _seed(db, n_leads=300)
    moved = _open_leads(db)[0]
    set_stage(moved, "won", None)  # a move today: the current month and quarter
    db.session.commit()
    roles = {"manager": Role.MANAGER, "consultant and channel": Role.MANAGER, "consultant": Role.CONSULTANT}
    role = roles.get(scope, Role.DIRECTOR)
    user = db.session.execute(select(User).where(User.role == role).order_by(User.id)).scalars().first()
    if scope == "consultant":
        user = db.session.get(User, moved.owner_id)
    last = max(k[1] for k in stored(db))
    for anchor in (last, last - timedelta(days=100)):
        args = {"period": kind, "date": anchor.isoformat()}
        if scope == "store":
            args["store"] = str(db.session.execute(select(Store.id).order_by(Store.id.desc())).scalar())
        elif scope == "consultant and channel":
            args.update(
                consultant=str(_consultants(db, user.store_id)[0].id), channel=str(reference.channels()[0].id)
            )
        for by in ("", "store", "consultant", "channel"):
            f = build_filter(user, {**args, "by": by})
            assert queries_periods.usable(f)
            fast_funnel = queries.funnel(f, by or None)
            if not by:
                overall = fast_funnel
            fast = [catalog.BY_KEY[key].build(f) for key in ("funnel", "followups")]
            fast_followed = queries._followed_leads(f)
            with monkeypatch.context() as m:
                m.setattr(queries_periods, "usable", lambda _f: False)
                m.setattr(queries_periods, "followed_usable", lambda _f: False)
                assert queries.funnel(f, by or None) == fast_funnel
                assert sorted(queries._followed_leads(f), key=str) == sorted(fast_followed, key=str)
                slow = [catalog.BY_KEY[key].build(f) for key in ("funnel", "followups")]
            for a, b in zip(fast, slow, strict=True):
                assert a.rows == b.rows
                assert a.totals == b.totals
        if scope in ("group", "consultant"):
            assert any(overall[0].values())
            assert fast_followed
