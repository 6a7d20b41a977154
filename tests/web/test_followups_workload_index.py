"""Each consultant's open leads are counted from the partial index of unmerged leads (no row reads)."""

from datetime import date

import pytest
from sqlalchemy import event, text

from app.extensions import db as _db
from app.followups.queries import workload


def _captured_count(consultants):
    """Run workload() and return the open-leads statement it sent, with its parameters."""
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM leads" in statement and "count(*)" in statement:
            seen.append((statement, parameters))

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", grab)
    try:
        counts = workload([u.id for u in consultants], date.today())
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return counts, seen[0]


@pytest.mark.postgres_only
def test_open_leads_per_consultant_are_counted_from_the_index_alone(factory, db):
    first, second = factory.user("consultant"), factory.user("consultant")
    for owner, n in ((first, 3), (second, 2)):
        for _ in range(n):
            factory.lead(owner=owner, stage="contacted")
    db.session.commit()
    counts, (statement, parameters) = _captured_count([first, second])
    assert counts[first.id]["open_leads"] == 3 and counts[second.id]["open_leads"] == 2
    connection = db.session.connection().connection.driver_connection
    with connection.cursor() as cursor:
        # On a handful of rows the planner's pick between indexes is a coin toss: take away the other
        # indexes that lead with the owner (inside this transaction, rolled back below) and the scans
        # that need no index; what is left must be an index-only scan of the partial index.
        cursor.execute("DROP INDEX ix_leads_owner_stage_due")
        cursor.execute("DROP INDEX ix_leads_owner_created")
        cursor.execute("DROP INDEX ix_leads_live_name")  # the other partial index of unmerged leads
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    db.session.rollback()
    assert "Index Only Scan using ix_leads_live_owner_stage" in plan, plan


def test_the_index_holds_only_unmerged_leads(db):
    if db.engine.dialect.name == "postgresql":
        definition = db.session.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_leads_live_owner_stage'")
        ).scalar_one()
    else:
        definition = db.session.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'ix_leads_live_owner_stage'")
        ).scalar_one()
    assert "owner_id" in definition and "stage_id" in definition
    assert "merged_into_id IS NULL" in definition
