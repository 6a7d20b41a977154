"""Check-in at the door, as a service: guard clauses with stable codes, the invitation row locked
inside the transaction, the unique constraints as backstop, a repeated client id is a no-op."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, exists, select

from app.accounts.models import Role, User
from app.admin.reference import channel_by_code, grade_by_code
from app.checkin import rules
from app.core.errors import DomainError
from app.core.timeutil import utcnow
from app.core.upsert import insert_or_nothing
from app.extensions import db
from app.invitations.models import CheckIn, Event, Invitation, InvitationStatus
from app.invitations.queries import CHECKER, OWNER
from app.invitations.rules import token_from_scan
from app.leads.models import Gender, Lead
from app.leads.services import LeadInput, create_lead, find_by_phone, record_touch
from app.messaging.arrivals import announce_arrival
from app.pipeline.stages import advance_stage
from app.showroom.models import ShowroomVisit
from app.web.metrics import count_checkin


@dataclass
class CheckInResult:
    invitation_id: int
    checkin_id: int
    checked_in_at: datetime
    headcount: int
    repeat: bool = False  # the same client id was sent again: nothing new recorded
    guest: "DoorGuest | None" = None  # what the door shows, on first check-ins (plain values)


@dataclass(frozen=True)
class GuestCard:
    """The invitation fields the door screen shows, copied out so they survive the commit."""

    id: int
    checked_in_at: datetime | None
    is_walk_in: bool
    headcount: int
    actual_headcount: int | None


@dataclass(frozen=True)
class DoorGuest:
    """A checked-in guest as the door result shows it: invitation card, name, phone, owner, checker."""

    card: GuestCard
    name: str
    phone: str
    owner: str | None  # the consultant who owns the lead: the one to fetch
    checker: str | None

    def __iter__(self):  # unpacks like a door_guest() row
        return iter((self.card, self.name, self.phone, self.owner, self.checker))


def _by_client_id(client_id: str | None) -> CheckIn | None:
    if not client_id:
        return None
    return db.session.execute(select(CheckIn).where(CheckIn.client_id == client_id)).scalar_one_or_none()


def _reused(client_id: str) -> DomainError:
    """A client id already recorded for another guest (or event): never answer with that guest."""
    return DomainError("client_id_reused", "this client id was used for another guest", client_id=client_id)


def _result(checkin: CheckIn, repeat: bool) -> CheckInResult:
    return CheckInResult(checkin.invitation_id, checkin.id, checkin.checked_in_at, checkin.headcount, repeat)


@cache
def _guest_statement(by_token: bool):
    """The invitation (row-locked until commit), its lead, the lead owner's and checker's names,
    whether the lead has been to the showroom before and the check-in this client id already
    recorded for it, if any: one round trip, built once."""
    visited = exists().where(ShowroomVisit.lead_id == Lead.id)
    own = (
        select(CheckIn.id)
        .where(CheckIn.client_id == bindparam("client_id"), CheckIn.invitation_id == Invitation.id)
        .scalar_subquery()
    )
    key = Invitation.token if by_token else Invitation.id
    return (
        select(Invitation, Lead, OWNER.display_name, CHECKER.display_name, visited, own)
        .join(Lead, Lead.id == Invitation.lead_id)
        .outerjoin(OWNER, OWNER.id == Lead.owner_id)
        .outerjoin(CHECKER, CHECKER.id == Invitation.checked_in_by_id)
        .where(key == bindparam("key"))
        .with_for_update(of=Invitation)
        .execution_options(populate_existing=True)
    )


def _door_guest(invitation: Invitation, lead: Lead, owner: str | None, checker: str | None) -> DoorGuest:
    card = GuestCard(
        invitation.id,
        invitation.checked_in_at,
        invitation.is_walk_in,
        invitation.headcount,
        invitation.actual_headcount,
    )
    return DoorGuest(card, lead.name, lead.phone, owner, checker)


def check_in(
    event: Event,
    *,
    actor,
    scanned: str | None = None,
    invitation_id: int | None = None,
    client_id: str | None = None,
    headcount=None,
    device: str | None = None,
    now: datetime | None = None,
) -> CheckInResult:
    """Check a guest in by scanned code or invitation id; raise DomainError with a stable code.

    The invitation row is locked first, so two tablets scanning the same guest queue up and the
    second one sees the first one's check-in; the unique keys on check-ins are the backstop (and
    catch a client id sent again), answered without an exception by INSERT … ON CONFLICT DO NOTHING.
    Nothing is written before the check-in row, so a refused check-in leaves nothing to undo.
    """
    now = now or utcnow()
    client_id = rules.valid_client_id(client_id)
    key = invitation_id
    if invitation_id is None:
        key = token_from_scan(scanned)
        if key is None:
            raise DomainError("unknown_token", "unknown code")
    row = db.session.execute(
        _guest_statement(invitation_id is None), {"key": key, "client_id": client_id}
    ).first()
    if row is None:
        raise DomainError("unknown_token", "unknown code")
    invitation, lead, owner_name, checker_name, visited_before, own_checkin_id = row
    if invitation.checked_in_at is not None and invitation.event_id == event.id:
        if own_checkin_id is not None:  # this very request was sent before: nothing new
            return CheckInResult(
                invitation.id,
                own_checkin_id,
                invitation.checked_in_at,
                invitation.actual_headcount or invitation.headcount,
                repeat=True,
            )
        raise _already(_door_guest(invitation, lead, owner_name, checker_name))
    rules.check_eligibility(
        invitation_event_id=invitation.event_id,
        event_id=event.id,
        status=str(invitation.status),
        token_expires_at=invitation.token_expires_at,
        checked_in_at=None,
        checked_in_by=None,
        now=now,
        event_cancelled=event.cancelled_at is not None,
    )
    count = rules.arrivals(headcount, invitation.headcount)
    checkin_id = insert_or_nothing(
        CheckIn.__table__,
        {
            "event_id": event.id,
            "invitation_id": invitation.id,
            "client_id": client_id,
            "checked_in_at": now,
            "checked_in_by_id": actor.id,
            "headcount": count,
            "device": (device or "")[:64] or None,
        },
        CheckIn.id,
    )
    if checkin_id is None:
        # A check-in of this guest, or with this client id, was committed between our read and our
        # insert (SQLite reads without row locks): report it rather than record a second one.
        previous = _by_client_id(client_id)
        if previous is not None:
            if previous.invitation_id != invitation.id or previous.event_id != event.id:
                raise _reused(client_id)
            return _result(previous, repeat=True)
        db.session.refresh(invitation)
        checker = db.session.get(User, invitation.checked_in_by_id) if invitation.checked_in_by_id else None
        raise _already(_door_guest(invitation, lead, owner_name, checker.display_name if checker else None))
    _record_arrival(invitation, lead, event, actor, count, now, first_visit=not visited_before)
    announce_arrival(lead, owner_name, store_id=event.store_id, actor=actor, now=now, event_theme=event.theme)
    # The invitation is written last: its update also moves the event's door counts (a trigger),
    # whose row every tablet at this event updates, so it stays locked only until the commit.
    invitation.checked_in_at = now
    invitation.checked_in_by_id = actor.id
    invitation.actual_headcount = count
    db.session.flush()
    count_checkin()
    guest = _door_guest(invitation, lead, owner_name, actor.display_name)
    return CheckInResult(invitation.id, checkin_id, now, count, repeat=False, guest=guest)


def _already(guest: DoorGuest) -> DomainError:
    """A second scan of a guest who is in: when and by whom, and the guest as the door shows it."""
    return DomainError(
        "already_checked_in",
        "already checked in",
        at=guest.card.checked_in_at,
        by=guest.checker,
        invitation_id=guest.card.id,
        guest=guest,
    )


def _record_arrival(
    invitation: Invitation, lead: Lead, event: Event, actor, count: int, now: datetime, *, first_visit: bool
) -> None:
    advance_stage(lead, "visited", actor, now=now)
    db.session.add(
        ShowroomVisit(
            store_id=event.store_id,
            lead_id=lead.id,
            consultant_id=lead.owner_id,
            registered_by_id=actor.id,
            event_id=event.id,
            source_channel_id=channel_by_code("event").id,
            arrived_at=now,
            party_size=count,
            is_first_visit=first_visit,
            left_contact=True,
            created_at=now,
        )
    )


def set_arrivals(invitation: Invitation, value, *, actor) -> Invitation:
    """Correct the number of people who actually arrived with a checked-in guest."""
    if invitation.checked_in_at is None:
        raise DomainError("not_checked_in", "the guest has not been checked in")
    count = rules.arrivals(value, invitation.actual_headcount or invitation.headcount)
    invitation.actual_headcount = count
    checkin = db.session.execute(select(CheckIn).where(CheckIn.invitation_id == invitation.id)).scalar_one()
    checkin.headcount = count
    visit = db.session.execute(
        select(ShowroomVisit)
        .where(ShowroomVisit.lead_id == invitation.lead_id, ShowroomVisit.event_id == invitation.event_id)
        .order_by(ShowroomVisit.id.desc())
        .limit(1)
    ).scalar_one_or_none()
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
    consultant_id: int | None = None  # the receiving consultant picked by the clerk; else the store's rule


def register_walk_in(
    event: Event, data: WalkIn, *, actor, client_id: str | None = None, now: datetime | None = None
) -> CheckInResult:
    """Register an uninvited guest at the door: find or create the customer, then check them in."""
    now = now or utcnow()
    channel = channel_by_code("event")
    from app.core.phones import InvalidPhone, normalize_phone

    try:
        phone = normalize_phone(data.phone)
    except InvalidPhone as exc:
        raise DomainError("invalid_phone", "invalid phone number") from exc
    client_id = rules.valid_client_id(client_id)
    previous = _by_client_id(client_id)
    if previous is not None:
        # The same registration sent again (same event, same guest) is answered with what it
        # recorded; the id reused for someone else is refused.
        same_guest = (
            previous.event_id == event.id
            and db.session.execute(
                select(Lead.phone)
                .join(Invitation, Invitation.lead_id == Lead.id)
                .where(Invitation.id == previous.invitation_id)
            ).scalar_one_or_none()
            == phone
        )
        if not same_guest:
            raise _reused(client_id)
        return _result(previous, repeat=True)
    consultant = _receiving_consultant(event, data.consultant_id)
    lead = find_by_phone(phone)
    if lead is None:
        lead = create_lead(
            LeadInput(
                name=data.name,
                phone=phone,
                gender=data.gender or Gender.UNKNOWN,
                source_channel_id=channel.id,
                model_id=None,
                grade_id=grade_by_code("B").id,
                expected_purchase_date=None,
                source_detail=event.theme[:255],
            ),
            store_id=event.store_id,
            actor=actor,
            now=now,
        )
    else:
        record_touch(
            lead,
            source_channel_id=channel.id,
            source_detail=event.theme[:255],
            store_id=event.store_id,
            actor=actor,
            now=now,
        )
    if lead.owner_id is None:
        _give_walk_in_owner(lead, event, consultant, actor, now)
    invitation = db.session.execute(
        select(Invitation).where(Invitation.event_id == event.id, Invitation.lead_id == lead.id)
    ).scalar_one_or_none()
    if invitation is None:
        from app.invitations.services import new_invitation

        invitation = new_invitation(
            event,
            lead.id,
            event.store_id,
            inviter_id=None,
            now=now,
            is_walk_in=True,
            status=InvitationStatus.ACCEPTED,
            headcount=rules.arrivals(data.headcount, 1),
            method="visit",
        )
        with db.session.begin_nested():
            db.session.add(invitation)
            db.session.flush()
    return check_in(
        event,
        actor=actor,
        invitation_id=invitation.id,
        client_id=client_id,
        headcount=data.headcount,
        now=now,
    )


def _receiving_consultant(event: Event, consultant_id: int | None) -> User | None:
    """The consultant the clerk picked: one of the event store's active consultants."""
    consultant = db.session.get(User, consultant_id) if consultant_id else None
    if consultant is not None and not (
        consultant.active and consultant.store_id == event.store_id and consultant.role == Role.CONSULTANT
    ):
        raise DomainError("bad_consultant", "choose a consultant of this store")
    return consultant


def _give_walk_in_owner(lead: Lead, event: Event, consultant: User | None, actor, now: datetime) -> None:
    """The consultant the clerk picked, else the one the store's assignment rule suggests, owns the
    walk-in from now on."""
    from app.followups.assignment import own_walk_in, suggest_owner
    from app.followups.rules import local_date
    from app.followups.services import store_timezone

    if consultant is None:
        consultant = suggest_owner(event.store_id, lead, local_date(now, store_timezone(event.store_id)))
    own_walk_in(lead, consultant, actor, now=now)
