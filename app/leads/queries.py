"""Reads for lead pages, with explicit loader options."""

from dataclasses import dataclass

from sqlalchemy import case, func, select

from app.accounts.models import Store, User
from app.admin.reference import open_stage_ids
from app.core.phones import InvalidPhone, mask_phone, normalize_phone
from app.extensions import db
from app.leads.models import Lead
from app.leads.services import phone_matches

__all__ = ["open_stage_ids", "check_phone", "PhoneCheck", "lead_page", "LeadPage"]


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
        .outerjoin(User, User.id == Lead.owner_id)
        .join(Store, Store.id == Lead.store_id)
        .where(phone_matches(phone), Lead.merged_into_id.is_(None))
        .order_by(case((Lead.phone == phone, 0), else_=1), Lead.id)
        .limit(1)
    ).first()
    if row is None:
        return PhoneCheck("new", phone=phone, masked=mask_phone(phone))
    lead_id, name, owner, store, visible = row
    if visible:
        return PhoneCheck("visible", phone, mask_phone(phone), lead_id, name, owner, store)
    # Out of scope: say only that the customer exists (the user may ask for a transfer), not who
    # it is, who looks after it or at which store.
    return PhoneCheck("other", phone, mask_phone(phone), lead_id)


# ---- the lead list ------------------------------------------------------------------------------

PER_PAGE = 50
COUNT_CAP = 1000


@dataclass
class LeadPage:
    """One page of the lead list: rows, whether there is a next page, and a capped total."""

    rows: list
    page: int
    has_next: bool
    total: int  # exact when <= COUNT_CAP
    capped: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def lead_page(user, flt, today, page: int = 1, per_page: int = PER_PAGE) -> LeadPage:
    """Return a page of the user's leads matching the filter: LIMIT+1 rows, count capped at COUNT_CAP."""
    from app.web.permissions import scoped_leads

    page = max(1, page)
    base = flt.apply(scoped_leads(user), today, order=False)
    # The page's ids first (filter, order, LIMIT on leads alone), then the owner and store names of
    # those rows only: joined before the LIMIT, every matching lead was joined to its owner and
    # store before the sort kept 51 of them (a group-wide name search: 10,000 joins).
    page_ids = (
        flt.apply(scoped_leads(user), today)
        .with_only_columns(Lead.id)
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
        .subquery("page_ids")
    )
    stmt = (
        select(Lead, User.display_name.label("owner_name"), Store.name.label("store_name"))
        .join(page_ids, page_ids.c.id == Lead.id)
        .outerjoin(User, User.id == Lead.owner_id)
        .join(Store, Store.id == Lead.store_id)
        .order_by(*flt.order_by())
    )
    rows = db.session.execute(stmt).all()
    has_next = len(rows) > per_page
    rows = rows[:per_page]
    # Counting a million rows is slow: count at most COUNT_CAP + 1 of them.
    capped_sub = base.with_only_columns(Lead.id).limit(COUNT_CAP + 1).subquery()
    total = db.session.execute(select(func.count()).select_from(capped_sub)).scalar_one()
    return LeadPage(
        rows=rows, page=page, has_next=has_next, total=min(total, COUNT_CAP), capped=total > COUNT_CAP
    )
