"""Aggregate tables in the tests: reading one back (its rows with any counter other than zero),
and the leads the tests change."""

from sqlalchemy import select

from app.admin import reference
from app.admin.models import StageKind
from app.leads.models import Lead


def stored_rows(db, model, keys: tuple, counters: tuple) -> dict:
    """key tuple -> counter tuple, read as plain rows (not cached ORM objects)."""
    rows = {}
    for row in db.session.execute(select(*model.__table__.c)).mappings():
        values = tuple(row[c] for c in counters)
        if any(values):
            rows[tuple(row[k] for k in keys)] = values
    return rows


def owned_open_leads(db) -> list:
    """The leads in an open stage with an owner (not merged), by id: what the tests change."""
    open_ids = [s.id for s in reference.stages() if s.kind == StageKind.OPEN]
    return (
        db.session.execute(
            select(Lead)
            .where(Lead.stage_id.in_(open_ids), Lead.owner_id.is_not(None), Lead.merged_into_id.is_(None))
            .order_by(Lead.id)
        )
        .scalars()
        .all()
    )
