"""Test data for events, campaigns, invitations and check-ins."""

from datetime import timedelta

from app.core.timeutil import utcnow
from app.extensions import db
from app.invitations.models import Event, EventType, Invitation, InvitationStatus
from app.invitations.rules import new_token, token_expiry

# The statements of a first scan whose lead moves to "visited", per database
# (tests/web/test_checkin_door.py says what each one is).
DOOR_PATH_STATEMENTS = {"postgresql": 8, "sqlite": 18}


def make_event(store, *, starts_in=timedelta(days=3), hours=3, capacity=None, creator=None, **kw) -> Event:
    starts = utcnow().replace(microsecond=0) + starts_in
    event = Event(
        store_id=store.id,
        theme=kw.pop("theme", "新车品鉴会"),
        type=kw.pop("type", EventType.LAUNCH),
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        place=kw.pop("place", "展厅一楼"),
        address=kw.pop("address", "朝阳路1号"),
        capacity=capacity,
        created_by_id=creator.id if creator else None,
        **kw,
    )
    db.session.add(event)
    db.session.flush()
    return event


def make_invitation(
    event, lead, *, inviter=None, status=InvitationStatus.ACCEPTED, headcount=1, **kw
) -> Invitation:
    invitation = Invitation(
        event_id=event.id,
        lead_id=lead.id,
        store_id=event.store_id,
        inviter_id=inviter.id if inviter else None,
        status=status,
        headcount=headcount,
        token=kw.pop("token", None) or new_token(),
        token_expires_at=kw.pop("token_expires_at", None) or token_expiry(event.ends_at),
        invited_at=kw.pop("invited_at", utcnow()),
        **kw,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation
