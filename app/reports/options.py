"""Choices for the report filter form, limited to what the user may see (two queries)."""

from sqlalchemy import select

from app.accounts.models import Role, Store, User
from app.admin.reference import channels, grades, vehicle_models
from app.extensions import db
from app.reports.tables import locale


def filter_options(user, store_ids: tuple | None = None) -> dict:
    """Stores, consultants, channels, grades and models for the filter dropdowns.

    A store's staff choose among their store's consultants. The group (a director, an admin)
    chooses a store first: then that store's consultants are offered (`needs_store` says the
    choice waits for one), never a list of every consultant of the group.
    """
    loc = locale()
    group = user.role in {Role.DIRECTOR, Role.ADMIN}
    stores = []
    if group:
        stores = db.session.execute(
            select(Store.id, Store.name).where(Store.active.is_(True)).order_by(Store.code)
        ).all()
    consultants = []
    store_id = store_ids[0] if store_ids and len(store_ids) == 1 else None
    needs_store = group and store_id is None
    if user.role != Role.CONSULTANT and not needs_store:
        stmt = (
            select(User.id, User.display_name)
            .where(User.role.in_([Role.CONSULTANT, Role.DCC]), User.store_id == (store_id or user.store_id))
            .order_by(User.display_name)
        )
        consultants = db.session.execute(stmt).all()
    return {
        "stores": stores,
        "consultants": consultants,
        "needs_store": needs_store,
        "channels": [(c.id, c.label(loc)) for c in channels() if c.active],
        "grades": [(g.id, g.code) for g in grades() if g.active],
        "models": [(m.id, f"{m.series} {m.name}") for m in vehicle_models() if m.active],
    }
