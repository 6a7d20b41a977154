"""Choices for the report filter form, limited to what the user may see (two queries)."""

from sqlalchemy import select

from app.accounts.models import Role, Store, User
from app.admin.reference import channels, grades, vehicle_models
from app.extensions import db
from app.reports.tables import locale


def filter_options(user) -> dict:
    """Stores, consultants, channels, grades and models for the filter dropdowns."""
    loc = locale()
    group = user.role in {Role.DIRECTOR, Role.ADMIN}
    stores = []
    if group:
        stores = db.session.execute(
            select(Store.id, Store.name).where(Store.active.is_(True)).order_by(Store.code)
        ).all()
    consultants = []
    if user.role != Role.CONSULTANT:
        stmt = select(User.id, User.display_name).where(User.role.in_([Role.CONSULTANT, Role.DCC]))
        if not group:
            stmt = stmt.where(User.store_id == user.store_id)
        consultants = db.session.execute(stmt.order_by(User.display_name).limit(500)).all()
    return {
        "stores": stores,
        "consultants": consultants,
        "channels": [(c.id, c.label(loc)) for c in channels() if c.active],
        "grades": [(g.id, g.code) for g in grades() if g.active],
        "models": [(m.id, f"{m.series} {m.name}") for m in vehicle_models() if m.active],
    }
