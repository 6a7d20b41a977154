"""Reads for the reception screen: today's traffic, counts and the duty list."""

from datetime import date, datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from app.accounts.models import DutyRoster, Role, User
from app.core.timeutil import local_day_bounds
from app.extensions import db
from app.leads.models import Lead
from app.showroom.models import ShowroomVisit

TRAFFIC_LIMIT = 300


def day_bounds_utc(day: date, tz: str) -> tuple[datetime, datetime]:
    """Return the naive-UTC start and end of a local calendar day."""
    return local_day_bounds(day, tz)


def todays_visits(store_id: int, day: date, tz: str) -> list:
    """Return the day's visits of a store, newest first, with the receiving consultant's, the lead
    owner's and the customer's names."""
    start, end = day_bounds_utc(day, tz)
    owner = aliased(User, name="owner")
    return db.session.execute(
        select(
            ShowroomVisit.id,
            ShowroomVisit.arrived_at,
            ShowroomVisit.left_at,
            ShowroomVisit.party_size,
            ShowroomVisit.is_first_visit,
            ShowroomVisit.left_contact,
            ShowroomVisit.lead_id,
            User.display_name.label("consultant"),
            Lead.name.label("customer"),
            Lead.phone.label("phone"),
            owner.display_name.label("owner"),
        )
        .outerjoin(User, User.id == ShowroomVisit.consultant_id)
        .outerjoin(Lead, Lead.id == ShowroomVisit.lead_id)
        .outerjoin(owner, owner.id == Lead.owner_id)
        .where(
            ShowroomVisit.store_id == store_id,
            ShowroomVisit.arrived_at >= start,
            ShowroomVisit.arrived_at < end,
        )
        .order_by(ShowroomVisit.arrived_at.desc(), ShowroomVisit.id.desc())
        .limit(TRAFFIC_LIMIT)
    ).all()


# The retention figures' definitions, shared with the reports (app.reports.queries_visits):
# 留存率 = first visits that left contact information / first visits.
FIRST_VISIT = ShowroomVisit.is_first_visit.is_(True)
RETAINED = and_(FIRST_VISIT, ShowroomVisit.left_contact.is_(True))


def traffic_counts(store_id: int, day: date, tz: str) -> dict:
    """Return visits, people, first visits, first visits that left contact and still in the showroom."""
    start, end = day_bounds_utc(day, tz)
    row = db.session.execute(
        select(
            func.count(ShowroomVisit.id),
            func.coalesce(func.sum(ShowroomVisit.party_size), 0),
            func.count(case((FIRST_VISIT, 1))),
            func.count(case((RETAINED, 1))),
            func.count(case((ShowroomVisit.left_at.is_(None), 1))),
        ).where(
            ShowroomVisit.store_id == store_id,
            ShowroomVisit.arrived_at >= start,
            ShowroomVisit.arrived_at < end,
        )
    ).one()
    return {
        "visits": row[0],
        "people": int(row[1]),
        "first": row[2],
        "first_with_contact": row[3],
        "present": row[4],
    }


def store_consultants(store_id: int) -> list:
    """Return the store's active consultants (id, display name)."""
    return db.session.execute(
        select(User.id, User.display_name)
        .where(User.store_id == store_id, User.role == Role.CONSULTANT, User.active.is_(True))
        .order_by(User.display_name)
    ).all()


def on_duty_ids(store_id: int, day: date) -> set[int]:
    """Return ids of the consultants on the duty roster for the day."""
    return set(
        db.session.execute(
            select(DutyRoster.user_id).where(DutyRoster.store_id == store_id, DutyRoster.day == day)
        ).scalars()
    )


def duty_list(store_id: int, day: date, consultants: list | None = None) -> tuple[list, set[int]]:
    """Return (consultants to offer, ids on duty): the roster, else every active consultant
    (`consultants`: the store's active consultants, when the caller read them already)."""
    consultants = store_consultants(store_id) if consultants is None else consultants
    duty = on_duty_ids(store_id, day)
    offered = [c for c in consultants if c.id in duty] if duty else consultants
    return offered, duty
