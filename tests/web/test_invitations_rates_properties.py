"""Property tests: every invitation and retention rate lies in [0, 100 %] when defined, and is
undefined (printed "—") when its denominator is zero — for any mix of guests in the database."""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from app.core.rates import format_percent, rate
from app.core.timeutil import utcnow
from app.extensions import db
from app.invitations import rules
from app.invitations.models import CheckIn, Invitation
from app.invitations.models import InvitationStatus as S
from app.invitations.queries import funnel, invitation_counts
from app.invitations.rules import new_token
from app.showroom.rules import format_rate, retention_rate
from tests.helpers_invite import make_event

counts = st.integers(min_value=0, max_value=10_000)


@given(counts, counts)
def test_a_rate_is_a_share_or_undefined(part, extra):
    whole = part + extra
    for value in (
        rules.success_rate(part, whole),
        rules.feedback_rate(part, whole),
        rules.attendance_rate(part, whole),
        retention_rate(part, whole),
        rate(part, whole),
    ):
        if whole == 0:
            assert value is None
            assert format_percent(value) == "—" == rules.percent(value) == format_rate(value)
        else:
            assert 0 <= value <= 1
            assert format_percent(value).endswith("%")
            assert 0 <= float(format_percent(value)[:-1]) <= 100


@given(st.integers(min_value=0, max_value=50))
def test_retention_never_exceeds_the_first_visits(first):
    assert retention_rate(first + 5, first) in (None, 1.0)


guest = st.fixed_dictionaries(
    {
        "walk_in": st.booleans(),
        "invited": st.booleans(),
        "status": st.sampled_from(list(S)),
        "responded": st.booleans(),
        "checked_in": st.booleans(),
    }
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(guests=st.lists(guest, max_size=12))
def test_rates_from_the_query_are_shares_for_any_guests(factory, guests):
    db.session.execute(delete(CheckIn))
    db.session.execute(delete(Invitation))
    store = factory.store()
    event = make_event(store, starts_in=timedelta(days=-1))
    now = utcnow()
    for g in guests:
        walk_in = g["walk_in"]
        db.session.add(
            Invitation(
                event_id=event.id,
                lead_id=factory.lead(store=store).id,
                store_id=store.id,
                is_walk_in=walk_in,
                status=S.ACCEPTED if walk_in else g["status"],
                token=new_token(),
                token_expires_at=now + timedelta(days=3),
                invited_at=now if g["invited"] and not walk_in else None,
                responded_at=now if g["responded"] and g["status"] in (S.ACCEPTED, S.DECLINED) else None,
                checked_in_at=now if g["checked_in"] or walk_in else None,
            )
        )
    db.session.flush()
    f = funnel(event.id)
    assert f.responded <= f.invited and f.accepted <= f.invited and f.arrived <= f.accepted
    for value, denominator in (
        (f.success_rate, f.invited),
        (f.feedback_rate, f.invited),
        (f.attendance_rate, f.accepted),
    ):
        if denominator == 0:
            assert value is None and rules.percent(value) == "—"
        else:
            assert 0 <= value <= 1
    # every guest who came is counted exactly once: accepted, came without accepting, or walk-in
    came = sum(1 for g in guests if g["checked_in"] or g["walk_in"])
    assert f.arrived + f.came_unanswered + f.walk_ins == came
    assert f.walk_ins == sum(1 for g in guests if g["walk_in"])
    total = invitation_counts(event_ids=[event.id])[0]
    assert total.as_dict() == f.as_dict()
    db.session.rollback()
