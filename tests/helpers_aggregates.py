"""Reading an aggregate table back in the tests: its rows with any counter other than zero."""

from sqlalchemy import select


def stored_rows(db, model, keys: tuple, counters: tuple) -> dict:
    """key tuple -> counter tuple, read as plain rows (not cached ORM objects)."""
    rows = {}
    for row in db.session.execute(select(*model.__table__.c)).mappings():
        values = tuple(row[c] for c in counters)
        if any(values):
            rows[tuple(row[k] for k in keys)] = values
    return rows
