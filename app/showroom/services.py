"""Showroom operations: register a walk-in (linking or creating the customer), departure, duty roster."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete

from app.accounts.models import DutyRoster, User
from app.admin.reference import channel_by_code, grade_by_code
from app.audit.services import record
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db
from app.followups.assignment import own_walk_in
from app.leads.models import Lead
from app.leads.services import LeadInput, create_lead, find_by_phone, record_touch
from app.messaging.arrivals import announce_arrival
from app.pipeline.stages import advance_stage
from app.showroom.models import ShowroomVisit
from app.showroom.rules import expected_purchase_date, valid_party_size


@dataclass
class WalkInContact:
    """The quick lead form filled when the visitor leaves contact info."""

    name: str
    phone: str  # E.164, already normalised
    gender: str
    model_id: int | None
    grade_code: str


def register_visit(
    *,
    store_id: int,
    actor,
    arrived_at: datetime,
    party_size: int,
    consultant_id: int | None,
    is_first_visit: bool,
    contact: WalkInContact | None,
    today: date,
    notes: str | None = None,
) -> ShowroomVisit:
    """Record a walk-in; with contact info, link the existing customer or create one for the consultant."""
    if not valid_party_size(party_size):
        raise DomainError("party_size", "a party is one to twenty people")
    lead = existing = None
    if contact is not None:
        lead, existing = _link_or_create(
            contact, store_id=store_id, actor=actor, consultant_id=consultant_id, today=today, now=arrived_at
        )
    visit = ShowroomVisit(
        store_id=store_id,
        lead_id=lead.id if lead else None,
        consultant_id=consultant_id,
        registered_by_id=actor.id,
        source_channel_id=channel_by_code("walk_in").id,
        arrived_at=arrived_at,
        party_size=party_size,
        is_first_visit=is_first_visit,
        left_contact=contact is not None,
        notes=notes,
    )
    db.session.add(visit)
    db.session.flush()
    record(
        "showroom.visit",
        actor,
        "showroom_visit",
        visit.id,
        {"lead": visit.lead_id, "consultant": consultant_id, "first": is_first_visit},
    )
    if existing:  # a known customer is back: their consultant must know at once
        owner = db.session.get(User, lead.owner_id) if lead.owner_id else None
        announce_arrival(
            lead, owner.display_name if owner else None, store_id=store_id, actor=actor, now=arrived_at
        )
    return visit


def _link_or_create(
    contact: WalkInContact, *, store_id, actor, consultant_id, today, now
) -> tuple[Lead, bool]:
    """Return the customer and whether they were known before this visit."""
    walk_in = channel_by_code("walk_in").id
    lead = find_by_phone(contact.phone)
    existing = lead is not None
    if lead is None:
        grade = grade_by_code(contact.grade_code)
        data = LeadInput(
            name=contact.name,
            phone=contact.phone,
            gender=contact.gender,
            source_channel_id=walk_in,
            model_id=contact.model_id,
            grade_id=grade.id,
            expected_purchase_date=expected_purchase_date(today, grade.purchase_within_days),
        )
        try:
            lead = create_lead(data, store_id=store_id, actor=actor, owner_id=consultant_id, now=now)
        except DomainError as exc:
            if exc.code != "duplicate":
                raise
            lead = db.session.get(Lead, exc.details["lead_id"])
            existing = True
            record_touch(lead, source_channel_id=walk_in, store_id=store_id, actor=actor, now=now)
    else:
        record_touch(lead, source_channel_id=walk_in, store_id=store_id, actor=actor, now=now)
    advance_stage(lead, "visited", actor, now=now)
    consultant = db.session.get(User, consultant_id) if consultant_id else None
    if consultant is not None and consultant.store_id == store_id:
        own_walk_in(lead, consultant, actor, now=now, announce=False)  # they are receiving the customer
    return lead, existing


def mark_departure(visit: ShowroomVisit, actor, now: datetime | None = None) -> bool:
    """Record when the visitor left; return False when already recorded."""
    if visit.left_at is not None:
        return False
    visit.left_at = max(now or utcnow(), visit.arrived_at)
    return True


def set_duty(store_id: int, day: date, user_ids: set[int], actor) -> None:
    """Replace the day's on-duty consultants of a store."""
    db.session.execute(delete(DutyRoster).where(DutyRoster.store_id == store_id, DutyRoster.day == day))
    for user_id in sorted(user_ids):
        db.session.add(DutyRoster(store_id=store_id, day=day, user_id=user_id))
    record("showroom.duty", actor, "store", store_id, {"day": day.isoformat(), "users": sorted(user_ids)})
