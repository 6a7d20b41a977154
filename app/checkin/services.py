"""Check-in at the door, as a service: guard clauses with stable codes, the invitation row locked
inside the transaction, the unique constraints as backstop, a repeated client id is a no-op."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.admin.reference import channel_by_code, grade_by_code
from app.checkin import rules
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.extensions import db
from app.invitations.models import CheckIn, Event, Invitation, InvitationStatus
from app.invitations.rules import token_from_scan
from app.leads.models import Gender, Lead
from app.leads.services import LeadInput, create_lead, find_by_phone, record_touch
from app.pipeline.stages import advance_stage
from app.showroom.models import ShowroomVisit


@dataclass
class CheckInResult:
    invitation_id: int
    checkin_id: int
    checked_in_at: datetime
    headcount: int
    repeat: bool = False  # the same client id was sent again: nothing new recorded


def _by_client_id(client_id: str | None) -> CheckIn | None:
    if not client_id:
        return None
    return db.session.execute(select(CheckIn).where(CheckIn.client_id == client_id)).scalar_one_or_none()


def _result(checkin: CheckIn, repeat: bool) -> CheckInResult:
    return CheckInResult(checkin.invitation_id, checkin.id, checkin.checked_in_at, checkin.headcount, repeat)


def _locked_invitation(*, token: str | None, invitation_id: int | None) -> tuple[Invitation, Lead]:
    """Load the invitation (row-locked until commit) and its lead in one round trip."""
    stmt = (select(Invitation, Lead).join(Lead, Lead.id == Invitation.lead_id)
            .with_for_update(of=Invitation).execution_options(populate_existing=True))
    if token is not None:
        stmt = stmt.where(Invitation.token == token)
    else:
        stmt = stmt.where(Invitation.id == invitation_id)
    row = db.session.execute(stmt).first()
    if row is None:
        raise DomainError("unknown_token", "unknown code")
    return row[0], row[1]


def _already(invitation: Invitation) -> DomainError:
    by = db.session.get(User, invitation.checked_in_by_id) if invitation.checked_in_by_id else None
    return DomainError("already_checked_in", "already checked in", at=invitation.checked_in_at,
                       by=by.display_name if by else None, invitation_id=invitation.id)


def check_in(event: Event, *, actor, scanned: str | None = None, invitation_id: int | None = None,
             client_id: str | None = None, headcount=None, device: str | None = None,
             now: datetime | None = None) -> CheckInResult:
    """Check a guest in by scanned code or invitation id; raise DomainError with a stable code."""
    now = now or utcnow()
    client_id = rules.valid_client_id(client_id)
    previous = _by_client_id(client_id)
    if previous is not None:
        return _result(previous, repeat=True)
    token = None
    if invitation_id is None:
        token = token_from_scan(scanned)
        if token is None:
            raise DomainError("unknown_token", "unknown code")
    invitation, lead = _locked_invitation(token=token, invitation_id=invitation_id)
    if invitation.checked_in_at is not None and invitation.event_id == event.id:
        raise _already(invitation)
    rules.check_eligibility(invitation_event_id=invitation.event_id, event_id=event.id,
                            status=str(invitation.status), token_expires_at=invitation.token_expires_at,
                            checked_in_at=None, checked_in_by=None, now=now,
                            event_cancelled=event.cancelled_at is not None)
    count = rules.arrivals(headcount, invitation.headcount)
    checkin = CheckIn(event_id=event.id, invitation_id=invitation.id, client_id=client_id, checked_in_at=now,
                      checked_in_by_id=actor.id, headcount=count, device=(device or "")[:64] or None)
    try:
        with db.session.begin_nested():
            db.session.add(checkin)
            db.session.flush()
    except IntegrityError:
        # Another tablet won the race (or resent our client id) between our checks and the insert.
        previous = _by_client_id(client_id)
        if previous is not None:
            return _result(previous, repeat=True)
        db.session.refresh(invitation)
        raise _already(invitation) from None
    invitation.checked_in_at = now
    invitation.checked_in_by_id = actor.id
    invitation.actual_headcount = count
    _record_arrival(invitation, lead, event, actor, count, now)
    db.session.flush()
    return _result(checkin, repeat=False)


def _record_arrival(invitation: Invitation, lead: Lead, event: Event, actor, count: int, now: datetime) -> None:
    advance_stage(lead, "visited", actor, now=now)
    first = db.session.execute(select(ShowroomVisit.id).where(ShowroomVisit.lead_id == lead.id).limit(1)
                               ).first() is None
    db.session.add(ShowroomVisit(store_id=event.store_id, lead_id=lead.id, consultant_id=lead.owner_id,
                                 registered_by_id=actor.id, event_id=event.id,
                                 source_channel_id=channel_by_code("event").id, arrived_at=now,
                                 party_size=count, is_first_visit=first, left_contact=True, created_at=now))


def set_arrivals(invitation: Invitation, value, *, actor) -> Invitation:
    """Correct the number of people who actually arrived with a checked-in guest."""
    if invitation.checked_in_at is None:
        raise DomainError("not_checked_in", "the guest has not been checked in")
    count = rules.arrivals(value, invitation.actual_headcount or invitation.headcount)
    invitation.actual_headcount = count
    checkin = db.session.execute(select(CheckIn).where(CheckIn.invitation_id == invitation.id)).scalar_one()
    checkin.headcount = count
    visit = db.session.execute(select(ShowroomVisit).where(
        ShowroomVisit.lead_id == invitation.lead_id, ShowroomVisit.event_id == invitation.event_id)
        .order_by(ShowroomVisit.id.desc()).limit(1)).scalar_one_or_none()
    if visit is not None:
        visit.party_size = count
    db.session.flush()
    return invitation


@dataclass
class WalkIn:
    name: str
    phone: str
    gender: str = "unknown"
    headcount: int = 1


def register_walk_in(event: Event, data: WalkIn, *, actor, client_id: str | None = None,
                     now: datetime | None = None) -> CheckInResult:
    """Register an uninvited guest at the door: find or create the customer, then check them in."""
    now = now or utcnow()
    previous = _by_client_id(rules.valid_client_id(client_id))
    if previous is not None:
        return _result(previous, repeat=True)
    channel = channel_by_code("event")
    from app.core.phones import InvalidPhone, normalize_phone

    try:
        phone = normalize_phone(data.phone)
    except InvalidPhone as exc:
        raise DomainError("invalid_phone", "invalid phone number") from exc
    lead = find_by_phone(phone)
    if lead is None:
        lead = create_lead(LeadInput(name=data.name, phone=phone, gender=data.gender or Gender.UNKNOWN,
                                     source_channel_id=channel.id, model_id=None, grade_id=grade_by_code("B").id,
                                     expected_purchase_date=None, source_detail=event.theme[:255]),
                           store_id=event.store_id, actor=actor, now=now)
    else:
        record_touch(lead, source_channel_id=channel.id, source_detail=event.theme[:255], store_id=event.store_id,
                     actor=actor, now=now)
    invitation = db.session.execute(select(Invitation).where(
        Invitation.event_id == event.id, Invitation.lead_id == lead.id)).scalar_one_or_none()
    if invitation is None:
        from app.invitations.services import new_invitation

        invitation = new_invitation(event, lead.id, event.store_id, inviter_id=None, now=now, is_walk_in=True,
                                    status=InvitationStatus.ACCEPTED, headcount=rules.arrivals(data.headcount, 1),
                                    method="visit")
        with db.session.begin_nested():
            db.session.add(invitation)
            db.session.flush()
    return check_in(event, actor=actor, invitation_id=invitation.id, client_id=client_id,
                    headcount=data.headcount, now=now)
