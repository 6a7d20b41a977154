"""flask seed-demo: a believable, deterministic dealership group."""

import re

from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.admin import reference
from app.admin.defaults import ensure_reference_data
from app.core.timeutil import local_today, utcnow
from app.demo.seed import seed_demo_data
from app.followups.models import DefeatRequest, FollowUp, Plan
from app.leads.models import Lead
from app.showroom.models import ShowroomVisit
from tests.conftest import _clean_tables


def _reseed(db, **kw):
    db.session.rollback()  # end the test's read transaction: TRUNCATE on PostgreSQL waits for it
    _clean_tables()
    reference.clear_cache()
    ensure_reference_data()
    db.session.commit()
    seed_demo_data(echo=lambda *_: None, **kw)
    people = db.session.execute(select(Lead.name, Lead.phone).order_by(Lead.id)).all()
    db.session.rollback()
    return people


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_same_seed_gives_the_same_people(db):
    first = _reseed(db, n_leads=300, n_stores=2, seed=7)
    second = _reseed(db, n_leads=300, n_stores=2, seed=7)
    other = _reseed(db, n_leads=300, n_stores=2, seed=8)
    assert len(first) == 300 and first == second
    assert first != other


def test_same_seed_gives_the_same_people_on_another_day(db):
    from freezegun import freeze_time

    with freeze_time("2026-11-02 01:00:00"):
        morning = _reseed(db, n_leads=300, n_stores=2, seed=11)
    with freeze_time("2026-12-19 15:30:00"):
        later = _reseed(db, n_leads=300, n_stores=2, seed=11)
    assert morning == later


def test_demo_data_covers_every_channel_grade_and_stage(db):
    _reseed(db, n_leads=600, n_stores=2, seed=3)
    used = lambda column: set(db.session.execute(select(column).distinct()).scalars())  # noqa: E731
    assert used(Lead.stage_id) == {s.id for s in reference.stages()}
    assert used(Lead.grade_id) == {g.id for g in reference.grades()}
    assert used(Lead.source_channel_id) == {c.id for c in reference.channels()}
    assert all(re.fullmatch(r"\+861[3-9]\d{9}", p) for p in db.session.execute(select(Lead.phone)).scalars())
    assert all(
        re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) for n in db.session.execute(select(Lead.name)).scalars()
    )
    assert count(db, Lead) == len(set(db.session.execute(select(Lead.phone)).scalars()))
    today = local_today()
    assert count(db, Plan, Plan.due_date < today) > 0 and count(db, Plan, Plan.due_date >= today) > 0
    assert count(db, FollowUp) > 600 and count(db, ShowroomVisit) > 0 and count(db, DefeatRequest) > 0
    oldest = db.session.scalar(select(func.min(FollowUp.occurred_at)))
    newest = db.session.scalar(select(func.max(FollowUp.occurred_at)))
    assert (newest - oldest).days > 150
    roles = set(db.session.execute(select(User.role).distinct()).scalars())
    assert roles == set(Role)


def test_cli_prints_one_login_per_role(app, db):
    db.session.rollback()
    _clean_tables()
    reference.clear_cache()
    result = app.test_cli_runner().invoke(args=["seed-demo", "--leads", "200", "--stores", "2"])
    assert result.exit_code == 0, result.output
    block = result.output.split("Demo logins")[1]
    printed = {line.split()[0] for line in block.strip().splitlines()[1:]}
    assert printed == {r.value for r in Role}
    again = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert "already has data" in again.output
    assert count(db, Lead) == 200


def test_big_loads_rebuild_every_index_and_give_the_same_data(db):
    from sqlalchemy import inspect

    from app.demo.seed import BULK_TABLES

    def index_names():
        inspector = inspect(db.engine)
        return {t: sorted(ix["name"] for ix in inspector.get_indexes(t)) for t in BULK_TABLES}

    before = index_names()
    plain = _reseed(db, n_leads=150, n_stores=2, seed=5)
    reindexed = _reseed(db, n_leads=150, n_stores=2, seed=5, reindex_from=100)
    assert reindexed == plain
    assert index_names() == before
    assert any(before.values())


def test_demo_events_have_believable_invitation_figures(db):
    from app.invitations.models import Event
    from app.invitations.queries import invitation_counts

    _reseed(db, n_leads=2000, n_stores=2, seed=3)
    now = utcnow()
    past = db.session.execute(select(Event.id).where(Event.ends_at < now)).scalars().all()
    upcoming = db.session.execute(select(Event.id).where(Event.starts_at > now)).scalars().all()
    assert len(past) == 12 and len(upcoming) == 2
    rows = invitation_counts("event", event_ids=past)
    assert len(rows) == 12
    for r in rows:
        assert 40 <= r.invited <= 130
        assert 0.3 <= r.success_rate <= 0.8 and 0.5 <= r.feedback_rate <= 0.95
        assert 0.4 <= r.attendance_rate <= 1 and r.walk_ins >= 1
    assert sum(r.orders for r in rows) >= 5
    assert sum(r.came_unanswered for r in rows) >= 1
    ahead = invitation_counts("event", event_ids=upcoming)
    assert all(r.invited and r.arrived == 0 and r.walk_ins == 0 for r in ahead)


def test_demo_month_looks_like_a_real_store(db):
    """Most consultants follow up on time: a handful of violations each, some none, penalties within the caps."""
    from datetime import timedelta
    from statistics import median

    from app.admin.reference import open_stage_ids
    from app.followups.queries import penalty_board
    from app.invitations.models import MonthlyTarget
    from app.leads.models import LeadOrder

    _reseed(db, n_leads=4000, n_stores=2, seed=42)
    today = local_today()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    board = penalty_board(None, last_month, today.replace(day=1) - timedelta(days=1), today)
    amounts = [r["amount"] for r in board["consultants"].values()]
    violations = [r["violations"] for r in board["consultants"].values()]
    assert len(amounts) >= 8
    assert min(amounts) == 0 and max(amounts) <= 2000 and median(amounts) <= 350
    assert sum(1 for v in violations if v <= 4) >= 0.8 * len(violations) and max(violations) <= 12
    assert all(m["amount"] <= 0.5 * 2000 * len(amounts) for m in board["managers"].values())
    open_leads = count(db, Lead, Lead.stage_id.in_(open_stage_ids()), Lead.owner_id.is_not(None))
    expired = count(
        db,
        Lead,
        Lead.stage_id.in_(open_stage_ids()),
        Lead.owner_id.is_not(None),
        Lead.expected_purchase_date < today,
    )
    overdue = count(db, Plan, Plan.status == "open", Plan.due_date < today)
    assert expired + overdue <= 0.05 * open_leads
    low, high = db.session.execute(select(func.min(LeadOrder.amount), func.max(LeadOrder.amount))).one()
    assert 50_000 <= low <= high <= 1_000_000
    per_consultant = count(db, LeadOrder) / len(amounts) / 6
    assert 3 <= per_consultant <= 30  # cars a consultant sells in a month
    targets = db.session.execute(
        select(MonthlyTarget.metric, MonthlyTarget.value).where(
            MonthlyTarget.month == last_month, MonthlyTarget.user_id.is_not(None)
        )
    ).all()
    assert {m for m, _ in targets} >= {"new_leads", "orders"} and all(v >= 1 for _, v in targets)
