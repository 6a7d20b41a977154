"""INSERT … ON CONFLICT DO NOTHING RETURNING, for the two databases LeadLoop runs on.

One round trip instead of a savepoint, an insert and a release, and no exception to unwind:
the caller gets the new row's key, or None when a unique constraint already holds such a row.
"""

from functools import cache

from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@cache
def _statement(dialect: str, table, returning):
    return _INSERTS[dialect](table).on_conflict_do_nothing().returning(returning)


def insert_or_nothing(table, values: dict, returning):
    """Insert one row into `table` unless it would break a unique constraint; return `returning`
    of the new row, or None when the row was not inserted."""
    statement = _statement(db.session.get_bind().dialect.name, table, returning)
    return db.session.execute(statement, values).scalar_one_or_none()
