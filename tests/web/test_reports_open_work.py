"""Today's open work (open_work): the discipline and prospects reports read it and show what the
leads show, and migration 0035 fills it as maintenance keeps it."""

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from app.reports import open_work
from tests.helpers_open_work import assert_open_work_current, recount_open_work, stored_open_work
from tests.web.test_reports_aggregates import _seed


def _user(db, role):
    return db.session.execute(select(User).where(User.role == role).order_by(User.id)).scalars().first()


@pytest.mark.parametrize("key", ["discipline", "prospects"])
@pytest.mark.parametrize(
    "scope", ["group month", "group quarter", "store month", "manager grade", "consultant filter", "week"]
)
def test_the_open_work_reports_read_the_counts_and_agree_with_the_leads(db, key, scope, monkeypatch):
    from app.reports import catalog
    from app.reports.filters import build_filter

    _seed(db, n_leads=300)
    director, manager = _user(db, Role.DIRECTOR), _user(db, Role.MANAGER)
    user = manager if scope == "manager grade" else director
    args = {"period": "quarter" if scope == "group quarter" else "month"}
    if scope == "week":
        args["period"] = "week"
    if scope == "store month":
        args["store"] = str(manager.store_id)
    if scope == "manager grade":
        from app.admin import reference

        args["grade"] = str(reference.grades()[0].id)
    if scope == "consultant filter":
        owner = (
            db.session.execute(
                select(User).where(User.role == Role.CONSULTANT, User.store_id == manager.store_id)
            )
            .scalars()
            .first()
        )
        args.update(store=str(manager.store_id), consultant=str(owner.id))
    f = build_filter(user, args)
    assert open_work.usable(f)
    read = []
    real = open_work.per_owner_and_grade if key == "prospects" else open_work.per_owner
    monkeypatch.setattr(open_work, real.__name__, lambda *a: read.append(1) or real(*a))
    report = catalog.BY_KEY[key]
    fast = report.build(f)
    if key == "prospects" and scope == "week":
        assert not read  # "followed since Monday" is not whole months: counted from the leads
    else:
        assert read
    monkeypatch.setattr(open_work, "usable", lambda _f: False)
    slow = report.build(f)
    assert fast.rows == slow.rows
    assert fast.totals == slow.totals
    assert any(v for r in fast.rows for v in r.values() if isinstance(v, int) and v)


def test_migration_0035_fills_the_open_work_as_maintenance_keeps_it(db):
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    _seed(db, n_leads=200)
    kept = stored_open_work(db)
    assert kept == recount_open_work(db) != {}
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0035_open_work.py"
    spec = importlib.util.spec_from_file_location("migration_0035", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    db.session.commit()
    with db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.downgrade()
        migration.upgrade()
    assert_open_work_current(db)
    assert stored_open_work(db) == kept


def test_the_dashboard_discipline_board_reads_open_work_and_agrees_with_the_leads(db, monkeypatch):
    """The dashboard's discipline board counts each consultant's leads without a plan from
    open_work and the expired ones as an index range: the same as counting the leads."""
    from datetime import timedelta

    from app.core.timeutil import local_midnight_utc, utcnow
    from app.followups import queries as fq
    from tests.helpers_aggregates import owned_open_leads

    _seed(db, n_leads=300)
    today = utcnow().date()
    leads = owned_open_leads(db)[:6]
    for lead in leads[:3]:
        lead.next_plan_due = None
    for lead in leads[3:]:
        lead.expected_purchase_date = today - timedelta(days=3)
    db.session.commit()
    assert_open_work_current(db)
    start = today.replace(day=1)
    args = (None, start, today, today, utcnow(), local_midnight_utc(start), local_midnight_utc(today))
    fast = fq.discipline(*args)
    monkeypatch.setattr(open_work, "owners_without_plan", lambda _ids: None)
    slow = fq.discipline(*args)
    assert fast == slow
    assert sum(r["no_plan"] for r in fast) >= 3 and sum(r["expired"] for r in fast) >= 3


@pytest.mark.parametrize("span", ["days", "whole month"])
def test_the_dashboard_discipline_board_reads_effective_follow_ups_from_the_daily_aggregates(
    db, monkeypatch, span
):
    """With the days' zone, the board sums each consultant's effective follow-ups from the daily
    aggregates (a whole month from monthly_totals): the same as counting the follow-ups."""
    from datetime import timedelta

    from app.config import default_timezone
    from app.core.timeutil import local_midnight_utc, local_today, utcnow
    from app.followups import queries as fq
    from app.reports import queries_daily

    _seed(db, n_leads=300)
    tz = default_timezone()
    today = local_today(utcnow(), tz)
    if span == "days":
        start, end = today - timedelta(days=20), today
    else:
        end = today.replace(day=1) - timedelta(days=1)
        start = end.replace(day=1)
    args = (
        None,
        start,
        end,
        today,
        utcnow(),
        local_midnight_utc(start, tz),
        local_midnight_utc(end + timedelta(days=1), tz),
    )
    read = []
    totals = queries_daily.consultant_totals
    monkeypatch.setattr(queries_daily, "consultant_totals", lambda *a: read.append(totals(*a)) or read[-1])
    kept = fq.discipline(*args, tz=tz)
    assert read and read[0] is not None  # the aggregates answered
    counted = fq.discipline(*args)  # without the zone: the follow-ups counted
    assert kept == counted
    assert sum(r["effective"] for r in kept) > 0
    # a store that keeps its days in another zone: the follow-ups are counted
    assert totals([r["id"] for r in kept], start, end, "America/New_York", "effective") is None
