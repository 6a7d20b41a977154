"""Check-in at the door, as a service: guard clauses with stable codes, the invitation row locked
inside the transaction, the unique constraints as backstop, a repeated client id is a no-op."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.accounts.models import Role, User
from app.admin.reference import channel_by_code, grade_by_code
from app.checkin import queries, rules
from app.core.errors import ConflictError, DomainError
from app.core.timeutil import utcnow
from app.core.upsert import insert_or_nothing
from app.extensions import db
from app.invitations.models import CheckIn, Event, Invitation, InvitationStatus
from app.invitations.queries import DOOR_COUNTS
from app.invitations.rules import token_from_scan
from app.leads.models import Gender, Lead
from app.leads.services import LeadInput, create_lead, find_by_phone, record_touch
from app.messaging.arrivals import alert_store_of_arrival, arrival_notice
from app.pipeline.stages import stage_target
from app.reports.aggregates import add_deltas, aggregates_kept_by_caller, known_deltas, store_day
from app.reports.periods import PERIODS, move_deltas
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
    counters: dict | None = None  # the event's door counts with this check-in (None: not read)
    event: "Event | DoorEvent | None" = None  # the scanned event (read with the guest when given by id)


@dataclass(frozen=True)
class DoorEvent:
    """The scanned event as the guest read found it: what a scan needs of it."""

    id: int
    store_id: int
    cancelled_at: datetime | None
    theme: str


def _scanned_event(row, stores: list[int] | None) -> DoorEvent:
    """The scanned event of a guest read, when it exists and is in the scope `stores` (None: every
    store); else "unknown_event", which the door answers with 404 as for any event out of reach."""
    if row.scanned_event_id is None or (stores is not None and row.event_store_id not in stores):
        raise DomainError("unknown_event", "no such event")
    return DoorEvent(row.scanned_event_id, row.event_store_id, row.event_cancelled_at, row.event_theme)


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


def _door_guest_of(row, checker: str | None) -> DoorGuest:
    """The door's view of a guest read by `queries.guest_statement`."""
    card = GuestCard(row.id, row.checked_in_at, row.is_walk_in, row.headcount, row.actual_headcount)
    return DoorGuest(card, row.name, row.phone, row.owner_name, checker)


def _counters_of(row) -> dict:
    """The event's kept door counts in a row of the guest read or of the arrival statement."""
    counts = {key: int(getattr(row, key) or 0) for key in DOOR_COUNTS}
    counts["arrived"] = counts["accepted_arrived"] + counts["came_unanswered"] + counts["walk_ins"]
    return counts


def _with_own_arrival(counts: dict, row, count: int) -> dict:
    """The counts plus this check-in's share, as the invitations trigger adds it (migration 0026)."""
    accepted = not row.is_walk_in and row.invited_at is not None and row.status == InvitationStatus.ACCEPTED
    share = {
        "accepted_arrived": int(accepted),
        "came_unanswered": int(not row.is_walk_in and not accepted),
        "walk_ins": int(row.is_walk_in),
        "arrived_people": count - (row.actual_headcount or 0),
    }
    counts = {key: value + share.get(key, 0) for key, value in counts.items()}
    counts["arrived"] += 1
    return counts


def _read_guest(key, *, by_token: bool, event_id: int, client_id: str | None):
    return db.session.execute(
        queries.guest_statement(by_token), {"key": key, "client_id": client_id, "event_id": event_id}
    ).first()


def check_in(
    event: Event | int,
    *,
    actor,
    stores: list[int] | None = None,
    scanned: str | None = None,
    invitation_id: int | None = None,
    client_id: str | None = None,
    headcount=None,
    device: str | None = None,
    now: datetime | None = None,
) -> CheckInResult:
    """Check a guest in by scanned code or invitation id; raise DomainError with a stable code.

    One unlocked read answers a guest already in (the check-in is never undone). A first scan
    writes everything in one statement on PostgreSQL (`queries.arrival_statement`), which locks
    the invitation only while it is still not checked in: a tablet that checked the guest in
    meanwhile makes it write nothing, and the guest is read again and reported as already in. The
    unique keys on check-ins are the backstop (and catch a client id sent again) on both
    databases. Nothing is written before the check-in row, so a refused check-in leaves nothing
    to undo. The result carries the event's door counts including this check-in.

    `event` is the event, or its id: then it is read with the guest and must be in the stores
    `stores` (None: any), else "unknown_event". When no guest matches ("unknown_token") the event
    was not checked: the caller tells the two apart.
    """
    now = now or utcnow()
    client_id = rules.valid_client_id(client_id)
    key = invitation_id
    if invitation_id is None:
        key = token_from_scan(scanned)
        if key is None:
            raise DomainError("unknown_token", "unknown code")
    by_token = invitation_id is None
    event_id = event if isinstance(event, int) else event.id
    for _attempt in range(2):
        row = _read_guest(key, by_token=by_token, event_id=event_id, client_id=client_id)
        if row is None:
            raise DomainError("unknown_token", "unknown code")
        if isinstance(event, int):
            event = _scanned_event(row, stores)
        if row.checked_in_at is not None and row.event_id == event.id:
            if row.own_checkin_id is not None:  # this very request was sent before: nothing new
                return CheckInResult(
                    row.id,
                    row.own_checkin_id,
                    row.checked_in_at,
                    row.actual_headcount or row.headcount,
                    repeat=True,
                    counters=_counters_of(row),
                    event=event,
                )
            raise _already(_door_guest_of(row, row.checker_name), _counters_of(row), event)
        rules.check_eligibility(
            invitation_event_id=row.event_id,
            event_id=event.id,
            status=str(row.status),
            token_expires_at=row.token_expires_at,
            checked_in_at=None,
            checked_in_by=None,
            now=now,
            event_cancelled=event.cancelled_at is not None,
        )
        count = rules.arrivals(headcount, row.headcount)
        arrival = _arrival(row, event, actor, client_id, device, count, now)
        written = _write_arrival(arrival, row)
        if written is not None:
            checkin_id, counters = written
            if arrival.notice_store_robot:
                alert_store_of_arrival(arrival.notice, event.store_id)
            count_checkin()
            guest = DoorGuest(
                GuestCard(row.id, now, row.is_walk_in, row.headcount, count),
                row.name,
                row.phone,
                row.owner_name,
                actor.display_name,
            )
            return CheckInResult(
                row.id, checkin_id, now, count, repeat=False, guest=guest, counters=counters, event=event
            )
        # Nothing went in: a check-in of this guest, or one with this client id, was committed
        # between our read and our write. Report it rather than record a second one.
        previous = _by_client_id(client_id)
        if previous is not None:
            if previous.invitation_id != row.id or previous.event_id != event.id:
                raise _reused(client_id)
            result = _result(previous, repeat=True)
            result.event = event
            return result
    raise DomainError("unknown_token", "the guest changed while checking in; scan again")


@dataclass(frozen=True)
class _Planned:
    statement: queries.Arrival
    notice: object
    notice_store_robot: bool


def _arrival(row, event: "Event | DoorEvent", actor, client_id, device, count: int, now: datetime):
    """Everything a first scan writes, decided from the guest read."""
    dialect = db.session.get_bind().dialect.name
    target = stage_target(row.stage_id, "visited", forward_only=True)
    move = queries.StageMove(row.stage_id, target.id, row.lead_version) if target is not None else None
    channel_id = channel_by_code("event").id
    first = not row.visited
    parts = [
        (
            (
                event.store_id,
                row.owner_id or 0,
                store_day(now, event.store_id, dialect),
                channel_id,
                row.grade_id or 0,
            ),
            {
                "visits": 1,
                "first_visits": int(first),
                "return_visits": int(not first),
                "retained": int(first),
                "people": count,
            },
        )
    ]
    if move is not None and row.arrived_at is None and row.merged_into_id is None:
        # the lead's own row counts as "came to the showroom" from now on (new_visited)
        day = store_day(row.created_at, row.lead_store_id, dialect)
        key = (row.lead_store_id, row.owner_id or 0, day, row.source_channel_id or 0, row.grade_id or 0)
        parts.append((key, {"new_visited": 1}))
    notice = arrival_notice(
        row.lead_id,
        row.name,
        row.owner_name,
        store_id=event.store_id,
        actor=actor,
        now=now,
        event_theme=event.theme,
    )
    statement = queries.Arrival(
        event_id=event.id,
        store_id=event.store_id,
        invitation_id=row.id,
        invitation_status=row.status,
        lead_id=row.lead_id,
        owner_id=row.owner_id,
        actor_id=actor.id,
        client_id=client_id,
        device=(device or "")[:64] or None,
        count=count,
        now=now,
        first_visit=first,
        channel_id=channel_id,
        move=move,
        notification=notice.notification(owner_id=row.owner_id, store_id=event.store_id, now=now),
        deltas=known_deltas(parts),
        period_deltas=_period_deltas(row, event.store_id, now, target) if move is not None else {},
    )
    robot = bool(notice.store is None or (notice.store.wecom_webhook_url or "").strip())
    return _Planned(statement, notice, robot)


def _period_deltas(row, store_id: int, now: datetime, target) -> dict:
    """The calendar-period aggregates' share of the lead's move to `target` (its furthest stage in
    this month and quarter), from the lead's contribution read now: the move is written only
    while the lead row is still at the version read."""
    key = (row.lead_store_id, row.owner_id or 0, row.source_channel_id or 0, row.grade_id or 0)
    return move_deltas(row.lead_id, key, store_id, now, target.sort_order)


def _write_arrival(planned: "_Planned", row) -> tuple[int, dict] | None:
    """Run the first scan's writes; return (check-in id, door counts with it) or None when the
    check-in did not go in (nothing written). A lead changed since the read raises ConflictError."""
    a = planned.statement
    db.session.flush()  # whatever the caller changed (a walk-in's lead) goes in under its own rules
    with aggregates_kept_by_caller():
        if db.session.get_bind().dialect.name == "postgresql":
            statement, params = queries.arrival_statement(a)
            out = db.session.execute(statement, params).first()
            if out is None:
                return None
            if a.move is not None and not out.moved:
                raise ConflictError("stale", "the lead was changed by someone else")
            if a.move is not None:
                # after the statement, not inside it: as common table expressions the period rows'
                # upserts made each moving scan ~10 ms slower (PostgreSQL, measured side by side)
                add_deltas(a.period_deltas, PERIODS)
            checkin_id, counters = out.id, _counters_of(out)
        else:
            checkin_id = insert_or_nothing(CheckIn.__table__, queries.checkin_values(a), CheckIn.id)
            if checkin_id is None:
                return None
            for i, step in enumerate(queries.arrival_steps(a)):
                result = db.session.execute(step)
                if i == 0 and a.move is not None and result.rowcount != 1:
                    raise ConflictError("stale", "the lead was changed by someone else")
            add_deltas(a.deltas)
            if a.move is not None:
                add_deltas(a.period_deltas, PERIODS)
            counters = _counters_of(row)
    _forget_loaded(a)
    return checkin_id, _with_own_arrival(counters, row, a.count)


def _forget_loaded(a: queries.Arrival) -> None:
    """The lead and invitation were written around the ORM: expire them if this session holds them."""
    for model, ident in ((Lead, a.lead_id), (Invitation, a.invitation_id)):
        obj = db.session.identity_map.get(db.session.identity_key(model, ident))
        if obj is not None:
            db.session.expire(obj)


def _already(guest: DoorGuest, counters: dict | None = None, event=None) -> DomainError:
    """A second scan of a guest who is in: when and by whom, the guest as the door shows it, the
    event's door counts read with it and the scanned event."""
    return DomainError(
        "already_checked_in",
        "already checked in",
        at=guest.card.checked_in_at,
        by=guest.checker,
        invitation_id=guest.card.id,
        guest=guest,
        counters=counters,
        event=event,
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
