"""A door check-in adds its own share to the daily report aggregates (the visit, and the lead's
"came to the showroom" when it moves to visited) without recounting the lead: the aggregates stay
equal to a recount from the raw rows, for every kind of guest."""

from datetime import timedelta

from sqlalchemy import select

from app.checkin import services
from app.extensions import db
from app.leads.models import Lead
from app.reports.models import COUNTERS
from app.showroom.models import ShowroomVisit
from tests.helpers_invite import make_event, make_invitation
from tests.web.test_reports_aggregates import _diff, assert_rollups_equal, recount, stored


def _total(rows: dict, counter: str) -> int:
    return sum(values[COUNTERS.index(counter)] for values in rows.values())


def test_check_ins_keep_the_aggregates_equal_to_a_recount(factory):
    store = factory.store()
    clerk = factory.user("clerk", store)
    consultant = factory.user("consultant", store)
    event = make_event(store, starts_in=timedelta(hours=-1))
    new = factory.lead(store=store, owner=consultant, stage="invited", phone="+8613900000001")
    returning = factory.lead(store=store, owner=consultant, stage="invited", phone="+8613900000002")
    ownerless = factory.lead(store=store, stage="new", phone="+8613900000003")
    won = factory.lead(store=store, owner=consultant, stage="won", phone="+8613900000004")
    db.session.add(
        ShowroomVisit(
            store_id=store.id,
            lead_id=returning.id,
            consultant_id=consultant.id,
            arrived_at=event.starts_at - timedelta(days=3),
            party_size=1,
            is_first_visit=True,
        )
    )
    invitations = [make_invitation(event, lead, headcount=2) for lead in (new, returning, ownerless, won)]
    db.session.commit()
    before = recount(db)
    assert stored(db) == before, _diff(stored(db), before)

    for invitation in invitations:
        services.check_in(event, actor=clerk, invitation_id=invitation.id, headcount=3)
    services.register_walk_in(event, services.WalkIn("赵女士", "13800138000", headcount=2), actor=clerk)
    db.session.commit()

    expected = recount(db)
    assert stored(db) == expected, _diff(stored(db), expected)
    assert_rollups_equal(db, expected)
    assert _total(expected, "visits") - _total(before, "visits") == 5
    assert _total(expected, "people") - _total(before, "people") == 4 * 3 + 2
    assert _total(expected, "return_visits") - _total(before, "return_visits") == 1
    # the leads that moved to "visited" now count as having come (new_visited), the won one stays
    arrived = dict(db.session.execute(select(Lead.id, Lead.arrived_at)).all())
    assert arrived[new.id] is not None and arrived[ownerless.id] is not None and arrived[won.id] is None
    assert _total(expected, "new_visited") > _total(before, "new_visited")
