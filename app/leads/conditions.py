"""Conditions on leads: one small function per filter criterion, each returning a WHERE clause.

The lead list and export (app.leads.filters), the board (app.pipeline.queries), campaign targets
(app.invitations.targets) and the reports (app.reports.scope) each parse their own input, then
build their clauses here, so a filter means the same leads on every page.

Dates: `today` and the created-on days are local calendar dates (the configured LEADLOOP_TIMEZONE unless told);
stored timestamps are naive UTC, stored dates (expected purchase, next plan) are local dates.
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, or_, true
from sqlalchemy.orm import QueryableAttribute

from app.admin.reference import Ref, by_code, open_stage_ids
from app.core.phones import InvalidPhone, normalize_phone
from app.core.timeutil import DEFAULT_TZ, local_to_utc
from app.leads.models import Lead

MAX_Q = 50

# Built once and shared: the board recognises it by identity (`c is not NOT_MERGED`) to leave it
# out of counts that an index answers alone.
NOT_MERGED = Lead.merged_into_id.is_(None)
NO_PLAN_DUE = Lead.next_plan_due.is_(None)


def _all(clauses: list) -> ColumnElement[bool]:
    return and_(*clauses) if clauses else true()


def codes_to_ids(codes: Iterable[str], refs: list[Ref]) -> list[int]:
    """Return the ids of reference codes (grades, stages, channels); unknown codes are left out."""
    known = by_code(refs)
    return [known[code].id for code in codes if code in known]


def not_merged() -> ColumnElement[bool]:
    """Leave out merged duplicates (they keep their row, pointing at the lead they went into)."""
    return NOT_MERGED


def open_stage() -> ColumnElement[bool]:
    """In an open stage: neither won nor lost."""
    return Lead.stage_id.in_(open_stage_ids())


def grade_in(ids: Iterable[int]) -> ColumnElement[bool]:
    """Of one of these intent grades."""
    return Lead.grade_id.in_(list(ids))


def stage_in(ids: Iterable[int]) -> ColumnElement[bool]:
    """In one of these pipeline stages."""
    return Lead.stage_id.in_(list(ids))


def source_in(ids: Iterable[int]) -> ColumnElement[bool]:
    """From one of these source channels."""
    return Lead.source_channel_id.in_(list(ids))


def owner_is(user_id: int | None, column: QueryableAttribute | None = None) -> ColumnElement[bool]:
    """Owned by this user; None: in the pool (no owner).

    `column` names another column holding the responsible user, for tables joined to leads
    (a visit's consultant) or another role (the DCC agent).
    """
    column = Lead.owner_id if column is None else column
    return column.is_(None) if user_id is None else column == user_id


def store_is(store_id: int) -> ColumnElement[bool]:
    """Of this store."""
    return Lead.store_id == store_id


def store_in(store_ids: Iterable[int]) -> ColumnElement[bool]:
    """Of one of these stores (none: no lead)."""
    return Lead.store_id.in_(list(store_ids))


def model_is(model_id: int) -> ColumnElement[bool]:
    """Interested in this vehicle model."""
    return Lead.model_id == model_id


def created_between(first: date | None, last: date | None, tz: str = DEFAULT_TZ) -> ColumnElement[bool]:
    """Created on a local calendar day from `first` to `last`, both included (either may be None).

    The days become UTC bounds: from local midnight of `first` to local midnight after `last`,
    so a lead created at 01:00 in Shanghai (17:00 UTC the day before) counts on its local day.
    """
    bounds = []
    if first:
        bounds.append(Lead.created_at >= local_to_utc(datetime.combine(first, time.min), tz))
    if last:
        bounds.append(
            Lead.created_at < local_to_utc(datetime.combine(last + timedelta(days=1), time.min), tz)
        )
    return _all(bounds)


def expected_between(first: date | None, last: date | None) -> ColumnElement[bool]:
    """Expected to buy from `first` to `last`, both included (either may be None)."""
    bounds = []
    if first:
        bounds.append(Lead.expected_purchase_date >= first)
    if last:
        bounds.append(Lead.expected_purchase_date <= last)
    return _all(bounds)


def overdue(today: date) -> ColumnElement[bool]:
    """The next plan was due before today."""
    return Lead.next_plan_due < today


def expired(today: date) -> ColumnElement[bool]:
    """Still open although the expected purchase date has passed."""
    return and_(Lead.expected_purchase_date < today, open_stage())


def no_plan(missing: ColumnElement[bool] = NO_PLAN_DUE) -> ColumnElement[bool]:
    """Open without a next plan.

    `missing` is how "no plan date" is written; the board passes a form SQLite serves from the
    store's index instead of skip-scanning the plan-date index.
    """
    return and_(missing, open_stage())


def marketing_reachable() -> ColumnElement[bool]:
    """Agreed to marketing and has not opted out of text messages."""
    return and_(Lead.marketing_consent.is_(True), Lead.sms_opt_out_at.is_(None))


def search_clause(q: str) -> ColumnElement[bool]:
    """Match a search box text: full phone, last four digits or name prefix."""
    text = q.strip()[:MAX_Q]
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 4 and len(text) == 4:
        return Lead.phone_last4 == digits
    if len(digits) >= 7:
        try:
            phone = normalize_phone(text)
            return or_(Lead.phone == phone, Lead.secondary_phone == phone)
        except InvalidPhone:
            pass
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # The range keeps the b-tree on name usable on every database; LIKE makes it exact.
    return and_(
        Lead.name >= text, Lead.name < text + "\U0010ffff", Lead.name.like(escaped + "%", escape="\\")
    )
