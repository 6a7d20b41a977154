"""Reads for lead pages, with explicit loader options."""

from dataclasses import dataclass

from sqlalchemy import select

from app.accounts.models import Store, User
from app.admin.reference import open_stage_ids
from app.core.phones import InvalidPhone, mask_phone, normalize_phone
from app.extensions import db
from app.leads.models import Lead

__all__ = ["open_stage_ids", "check_phone", "PhoneCheck"]


@dataclass
class PhoneCheck:
    """What the entry form may say about a typed phone number."""

    status: str  # empty | invalid | new | visible (the user may open it) | other (someone else's)
    phone: str | None = None
    masked: str = ""
    lead_id: int | None = None
    lead_name: str | None = None
    owner_name: str | None = None
    store_name: str | None = None


def check_phone(user, raw: str) -> PhoneCheck:
    """Tell whether a customer with this phone exists, revealing no more than the user may see."""
    from app.web.permissions import lead_scope_clause

    if not (raw or "").strip():
        return PhoneCheck("empty")
    try:
        phone = normalize_phone(raw)
    except InvalidPhone:
        return PhoneCheck("invalid")
    row = db.session.execute(
        select(Lead.id, Lead.name, User.display_name, Store.name, lead_scope_clause(user).label("visible"))
        .outerjoin(User, User.id == Lead.owner_id).join(Store, Store.id == Lead.store_id)
        .where(Lead.phone == phone)
    ).first()
    if row is None:
        return PhoneCheck("new", phone=phone, masked=mask_phone(phone))
    lead_id, name, owner, store, visible = row
    if visible:
        return PhoneCheck("visible", phone, mask_phone(phone), lead_id, name, owner, store)
    # Out of scope: say who owns the customer (so the user can ask for a transfer), not who it is.
    return PhoneCheck("other", phone, mask_phone(phone), lead_id, None, owner, store)
