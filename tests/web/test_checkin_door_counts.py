"""The door's kept counters (event_door_counts, kept by triggers on invitations) always equal the
counters counted over the event's invitations, whatever changes an invitation."""

from datetime import timedelta

from sqlalchemy import delete, update

from app.checkin import services
from app.extensions import db
from app.invitations.models import Invitation
from app.invitations.models import InvitationStatus as S
from app.invitations.queries import door_counters, door_counters_counted
from tests.helpers_invite import make_event, make_invitation


def _same(*events):
    db.session.flush()
    for event in events:
        kept, counted = door_counters(event.id), door_counters_counted(event.id)
        assert kept == counted, (event.id, kept, counted)
    return door_counters(events[0].id)


def test_kept_counts_follow_every_kind_of_invitation_change(factory):
    store = factory.store()
    clerk = factory.user("clerk", store)
    event, other = make_event(store, starts_in=timedelta(hours=-1)), make_event(store)
    assert door_counters(event.id) == door_counters_counted(event.id)  # no invitation yet: all zero
    leads = [factory.lead(store=store, phone=f"+86139000000{i:02d}") for i in range(6)]
    accepted = make_invitation(event, leads[0], headcount=3)
    unanswered = make_invitation(event, leads[1], status=S.INVITED)
    never_invited = make_invitation(event, leads[2], status=S.TODO, invited_at=None)
    declined = make_invitation(event, leads[3], status=S.DECLINED, headcount=2)
    make_invitation(other, leads[4], headcount=4)
    counts = _same(event, other)
    assert (counts["expected"], counts["expected_people"], counts["arrived"]) == (1, 3, 0)

    services.check_in(event, actor=clerk, invitation_id=accepted.id, headcount=2)
    services.check_in(event, actor=clerk, invitation_id=unanswered.id)
    services.check_in(event, actor=clerk, invitation_id=never_invited.id)
    counts = _same(event, other)
    assert (counts["accepted_arrived"], counts["came_unanswered"], counts["arrived_people"]) == (1, 2, 4)

    services.register_walk_in(event, services.WalkIn("赵女士", "13800138000", headcount=2), actor=clerk)
    assert _same(event, other)["walk_ins"] == 1
    services.set_arrivals(accepted, 5, actor=clerk)
    declined.status, declined.headcount = S.ACCEPTED, 4  # an RSVP changed at the last minute
    counts = _same(event, other)
    assert (counts["expected"], counts["expected_people"], counts["arrived_people"]) == (2, 7, 9)

    # set-based writes, a move to another event and deletes go through the triggers as well
    db.session.execute(
        update(Invitation)
        .where(Invitation.event_id == event.id, Invitation.is_walk_in.is_(False))
        .values(status=S.CANCELLED)
    )
    db.session.execute(update(Invitation).where(Invitation.id == declined.id).values(event_id=other.id))
    _same(event, other)
    db.session.execute(update(Invitation).where(Invitation.id == accepted.id).values(note="unwatched column"))
    db.session.execute(delete(Invitation).where(Invitation.id == declined.id))
    counts = _same(event, other)
    assert counts["expected"] == 0 and counts["walk_ins"] == 1
