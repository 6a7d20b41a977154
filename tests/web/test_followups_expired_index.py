"""The penalty board's expired opportunities of a month are read from the (store, stage, expected
purchase date) index alone: it carries the owner and the merge mark (migration 0033)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import event, text

from app.extensions import db as _db
from app.followups.queries import violation_days


def _captured(person_ids, store_ids, start, end, today):
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "expected_purchase_date" in statement and "UNION ALL" in statement:
            seen.append((statement, parameters))

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        days = violation_days(person_ids, start, end, today, store_ids=store_ids)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return days, seen[0]


@pytest.mark.postgres_only
def test_a_month_s_expired_opportunities_are_a_range_of_the_index(factory, db):
    store = factory.store("BJ01")
    owner = factory.user("consultant", store)
    start, today = date(2026, 11, 1), date(2026, 12, 7)
    for day in (3, 3, 17):
        factory.lead(
            owner=owner,
            store=store,
            stage="contacted",
            expected_purchase_date=start + timedelta(days=day - 1),
        )
    factory.lead(owner=owner, store=store, stage="contacted", expected_purchase_date=date(2026, 10, 30))
    db.session.commit()
    days, (statement, parameters) = _captured([owner.id], [store.id], start, date(2026, 11, 30), today)
    assert days[owner.id] == {date(2026, 11, 3): 2, date(2026, 11, 17): 1}
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        # On a handful of rows the planner's pick is a coin toss: take away the covering index of a
        # store's open work (inside this transaction, rolled back below) and the scans that need no
        # index; what is left must read the expected dates from the index alone.
        cursor.execute("DROP INDEX ix_leads_store_open_work")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    db.session.rollback()
    assert "Index Only Scan using ix_leads_store_stage_expected" in plan, plan


def test_the_index_keeps_its_key(db):
    """Same key as before (every other reader keeps it); on PostgreSQL the owner and the merge mark
    ride along."""
    if db.engine.dialect.name == "postgresql":
        definition = db.session.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_leads_store_stage_expected'")
        ).scalar_one()
        assert "INCLUDE (owner_id, merged_into_id)" in definition
    else:
        definition = db.session.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ix_leads_store_stage_expected'")
        ).scalar_one()
    assert "(store_id, stage_id, expected_purchase_date)" in definition
