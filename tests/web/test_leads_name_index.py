"""A name search reads its page and its capped count from the partial index of unmerged leads'
names (name, store, creation time, id), not from the leads' rows."""

from datetime import date

import pytest
from sqlalchemy import event, text

from app.extensions import db as _db
from app.leads.filters import LeadFilter
from app.leads.queries import lead_page
from tests.helpers_plans import other_indexes


def _search(user, words: str):
    """Run the lead list's search and return its page and the statements it sent to leads."""
    seen = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM leads" in statement:
            seen.append((statement, parameters))

    event.listen(_db.engine, "before_cursor_execute", grab)
    try:
        page = lead_page(user, LeadFilter.from_args({"q": words}), date.today())
    finally:
        event.remove(_db.engine, "before_cursor_execute", grab)
    return page, seen


@pytest.mark.postgres_only
def test_a_group_wide_name_search_reads_the_name_index_alone(factory, db):
    store, other_store = factory.store(), factory.store()
    director = factory.user("director")
    for n in range(4):
        factory.lead(store=store, name=f"王{n}")
        factory.lead(store=other_store, name=f"李{n}")
    db.session.commit()
    page, statements = _search(director, "王")
    assert sorted(row[0].name for row in page.rows) == ["王0", "王1", "王2", "王3"] and page.total == 4
    connection = db.session.connection().connection.driver_connection
    plans = []
    with connection.cursor() as cursor:
        # On a handful of rows the planner's pick is a coin toss: take away the leads' other indexes
        # and the scans that need none; what is left must be an index-only scan of the name index.
        for name in other_indexes("leads", "ix_leads_live_name"):
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        for statement, parameters in statements:
            cursor.execute("EXPLAIN " + statement, parameters)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    db.session.rollback()
    assert len(plans) == 2, plans  # the page (with its names joined) and the capped count
    for plan in plans:
        assert "Index Only Scan using ix_leads_live_name" in plan, plan


def test_the_name_index_holds_only_unmerged_leads(db):
    if db.engine.dialect.name == "postgresql":
        sql = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_leads_live_name'"
    else:
        sql = "SELECT sql FROM sqlite_master WHERE name = 'ix_leads_live_name'"
    definition = db.session.execute(text(sql)).scalar_one()
    for column in ("name", "store_id", "created_at", "id"):
        assert column in definition
    assert "merged_into_id IS NULL" in definition
