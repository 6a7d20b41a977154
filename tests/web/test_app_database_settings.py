"""Per-connection database settings: SQLite shares its file between workers, PostgreSQL plans
every statement for its own parameters."""

import pytest
from sqlalchemy import text

from app.extensions import db
from tests.conftest import IS_PG


@pytest.mark.skipif(IS_PG, reason="SQLite settings")
def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout():
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


@pytest.mark.postgres_only
def test_postgres_connections_plan_each_execution():
    db.engine.dispose()  # a brand-new connection gets the setting too
    with db.engine.connect() as conn:
        assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"


@pytest.mark.postgres_only
def test_generic_plans_hold_inside_and_each_execution_is_planned_again_after():
    from app.web.postgres import generic_plans

    show = text("SHOW plan_cache_mode")
    with generic_plans(db.session):
        assert db.session.execute(show).scalar() == "force_generic_plan"
    assert db.session.execute(show).scalar() == "force_custom_plan"
    db.session.rollback()
    assert db.session.execute(show).scalar() == "force_custom_plan"


def test_generic_plans_leave_the_setting_to_the_rollback_when_the_block_fails():
    from app.web.postgres import generic_plans

    with pytest.raises(RuntimeError), generic_plans(db.session):
        raise RuntimeError("the flush failed")
    db.session.rollback()
    if IS_PG:
        assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"


@pytest.mark.postgres_only
def test_a_flush_reads_lead_shares_with_plans_made_once_and_plans_others_per_execution(factory):
    """The aggregates' reads of a lead's share are prepared once psycopg has run them five times on
    a connection: PostgreSQL then reuses one generic plan for them, while the statements around
    them are still planned for their parameters."""
    from app.admin.reference import grades

    lead = factory.lead()
    db.session.commit()
    ids = [g.id for g in grades()][:2]
    for n in range(8):
        lead.grade_id = ids[n % 2]
        db.session.commit()
    rows = db.session.execute(
        text(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%facts%' OR statement LIKE '%period_rows%'"
        )
    ).all()
    assert rows, "the share reads were never prepared"
    assert all(r.generic_plans > 0 and r.custom_plans == 0 for r in rows)
    assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"


@pytest.mark.postgres_only
def test_long_statements_convert_their_placeholders_once():
    """psycopg caches the rewrite of %(name)s into $n only up to 4 KB and 50 parameters unless
    raised; the aggregates' per-lead statement is 10 KB with 80 parameters."""
    from psycopg import _queries

    long_sql = "SELECT " + " + ".join(f"%(p{i})s::int" for i in range(120)) + " AS total -- " + "x" * 5000
    params = {f"p{i}": i for i in range(120)}
    before = _queries._query2pg.cache_info().hits
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        for _ in range(3):
            assert raw.execute(long_sql, params).fetchone()[0] == sum(range(120))
    assert _queries._query2pg.cache_info().hits >= before + 2


@pytest.mark.skipif(not IS_PG, reason="PostgreSQL's autovacuum")
def test_autovacuum_visits_the_busy_tables_after_two_percent_of_changes(db):
    """Index-only counts need pages marked all-visible: the busy tables are vacuumed after 2 %."""
    from sqlalchemy import text

    options = dict(
        db.session.execute(
            text("SELECT relname, reloptions FROM pg_class WHERE relname IN ('leads', 'plans', 'followups')")
        ).all()
    )
    assert set(options) == {"leads", "plans", "followups"}
    for table, reloptions in options.items():
        assert {
            "autovacuum_vacuum_scale_factor=0.02",
            "autovacuum_vacuum_insert_scale_factor=0.02",
            "autovacuum_analyze_scale_factor=0.02",
        } <= set(reloptions or []), table
