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
