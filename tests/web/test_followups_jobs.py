"""Periodic jobs of the loop: overdue marking, reminders, DCC queue, breaches, digest; idempotent."""

from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from app.cli import run_jobs
from app.followups.models import JobRun, Notification, Plan, PlanKind, PlanStatus
from app.followups.plans import open_plan
from app.jobs import run_all
from app.leads.models import Lead
from app.messaging import backends
from app.messaging.models import Message

NOW = datetime(2026, 3, 10, 2, 0)  # 10:00 in Shanghai
TODAY = date(2026, 3, 10)


def _snapshot(db):
    def rows(model, *cols):
        return sorted(tuple(r) for r in db.session.execute(select(*cols)).all())

    return (
        rows(Plan, Plan.id, Plan.status, Plan.due_date, Plan.overdue_marked_at, Plan.assignee_id),
        rows(Lead, Lead.id, Lead.dcc_agent_id, Lead.next_plan_due, Lead.version),
        db.session.execute(select(func.count(Notification.id))).scalar(),
        db.session.execute(select(func.count(Message.id))).scalar(),
        db.session.execute(select(func.count(JobRun.id))).scalar(),
    )


def _world(factory, db):
    store = factory.store()
    consultant = factory.user("consultant", store, email="c@example.com")
    manager = factory.user("manager", store, email="m@example.com")
    dcc = factory.user("dcc", store)
    factory.user("director", None, email="d@example.com")
    overdue_lead = factory.lead(owner=consultant)
    open_plan(overdue_lead, TODAY - timedelta(days=2), "call", assignee_id=consultant.id)
    birthday = factory.lead(owner=consultant, birthday=date(1990, 3, 12))
    purchase = factory.lead(owner=consultant, expected_purchase_date=TODAY + timedelta(days=2))
    invited = factory.lead(owner=consultant, stage="invited", invited_at=NOW - timedelta(days=31))
    recent_invite = factory.lead(owner=consultant, stage="invited", invited_at=NOW - timedelta(days=29))
    fresh = factory.lead(owner=consultant, first_contact_due_at=NOW - timedelta(hours=1))
    open_plan(fresh, TODAY, "first contact", kind=PlanKind.FIRST_CONTACT, assignee_id=consultant.id)
    neglected = factory.lead(
        owner=consultant, created_at=NOW - timedelta(days=40), assigned_at=NOW - timedelta(days=40)
    )
    db.session.commit()
    return locals()


def test_jobs_do_their_work_and_a_second_run_changes_nothing(factory, db):
    w = _world(factory, db)
    results = run_all(NOW)
    assert not any(r.get("error") for r in results.values()), results
    db.session.expire_all()
    overdue = db.session.execute(select(Plan).where(Plan.lead_id == w["overdue_lead"].id)).scalar_one()
    assert overdue.overdue_marked_at == NOW
    kinds = dict(
        db.session.execute(
            select(Plan.lead_id, Plan.kind).where(
                Plan.kind.in_([PlanKind.BIRTHDAY, PlanKind.PURCHASE_DATE, PlanKind.DCC_CALL])
            )
        ).all()
    )
    assert kinds == {
        w["birthday"].id: PlanKind.BIRTHDAY,
        w["purchase"].id: PlanKind.PURCHASE_DATE,
        w["invited"].id: PlanKind.DCC_CALL,
    }
    invited = db.session.get(Lead, w["invited"].id)
    assert invited.dcc_agent_id == w["dcc"].id and invited.next_plan_due == TODAY
    assert db.session.get(Lead, w["recent_invite"].id).dcc_agent_id is None
    first = db.session.execute(select(Plan).where(Plan.kind == PlanKind.FIRST_CONTACT)).scalar_one()
    assert first.overdue_marked_at == NOW
    notes = dict(db.session.execute(select(Notification.user_id, Notification.kind)).all())
    assert notes[w["manager"].id] == "first_contact"
    assert "reclaim" in notes.values()
    # the digest went out by email to the consultant and the manager
    sent = {m.to for m in backends.SENT}
    assert {"c@example.com", "m@example.com"} <= sent

    before = _snapshot(db)
    results = run_all(NOW + timedelta(minutes=5))
    db.session.expire_all()
    assert _snapshot(db) == before


def test_flask_jobs_run_twice_changes_nothing(app, factory, db):
    _world(factory, db)
    runner = app.test_cli_runner()
    first = runner.invoke(run_jobs, ["--now", "2026-03-10T02:00"])
    assert first.exit_code == 0, first.output
    db.session.expire_all()
    before = _snapshot(db)
    second = runner.invoke(run_jobs, ["--now", "2026-03-10T02:05"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert _snapshot(db) == before


def test_overdue_marking_uses_the_local_day(factory, db):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant)
    plan = open_plan(lead, date(2026, 3, 9), "call", assignee_id=consultant.id)
    db.session.commit()
    run_all(datetime(2026, 3, 9, 15, 59), only="overdue_plans")  # 23:59 on the 9th in Shanghai
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).overdue_marked_at is None
    run_all(datetime(2026, 3, 9, 16, 0), only="overdue_plans")  # midnight: the 10th begins
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).overdue_marked_at is not None


def test_done_plans_are_never_marked(factory, db):
    consultant = factory.user("consultant")
    lead = factory.lead(owner=consultant)
    plan = open_plan(lead, TODAY - timedelta(days=3), "call", assignee_id=consultant.id)
    plan.status = PlanStatus.DONE
    db.session.commit()
    run_all(NOW, only="overdue_plans")
    db.session.expire_all()
    assert db.session.get(Plan, plan.id).overdue_marked_at is None
