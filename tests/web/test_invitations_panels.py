"""The invitations panel and timeline on the lead page; inviting one customer; anonymous sweep."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.timeutil import utcnow
from app.extensions import db
from app.invitations.models import Invitation
from app.invitations.models import InvitationStatus as S
from app.leads.panels import panels, timeline_sources
from tests.helpers_invite import make_event, make_invitation

STAFF_URLS = [
    "/events",
    "/events/new",
    "/events/1",
    "/events/1/edit",
    "/events/metrics",
    "/campaigns",
    "/campaigns/new",
    "/campaigns/1",
    "/campaigns/1/calls",
    "/checkin/1",
    "/checkin/1/search?q=1",
    "/checkin/1/counters",
]
STAFF_POSTS = [
    "/invitations/1/outcome",
    "/invitations/1/send",
    "/invitations/1/reconfirm",
    "/leads/1/invite",
    "/campaigns/1/generate",
    "/campaigns/1/goals",
    "/checkin/1",
    "/checkin/1/walk-in",
    "/checkin/1/arrivals/1",
]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", STAFF_POSTS)
def test_anonymous_posts_are_refused(client, url):
    response = client.post(url)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_panel_and_timeline_are_registered_and_render(app, factory):
    store = factory.store()
    consultant = factory.user("consultant", store)
    lead = factory.lead(owner=consultant)
    upcoming = make_event(store, theme="周末试驾日")
    past = make_event(store, starts_in=timedelta(days=-5), theme="新车发布会")
    make_invitation(
        past,
        lead,
        status=S.ACCEPTED,
        responded_at=utcnow() - timedelta(days=6),
        checked_in_at=utcnow() - timedelta(days=5),
        actual_headcount=2,
    )
    db.session.commit()
    panel = dict((name, func) for _, name, func in panels())["invitations"]
    with app.test_request_context("/"):
        template, context = panel(lead, consultant)
        from flask import render_template

        html = render_template(template, **context)
    assert "新车发布会" in html and "周末试驾日" in html  # invitation listed, upcoming event offered
    entries = dict(timeline_sources())["invitations"]([lead.id])
    assert {e.kind for e in entries} == {"invitation", "checkin"}
    assert upcoming.id


def test_consultant_invites_own_lead_once(login_as, factory):
    store = factory.store()
    event = make_event(store)
    c = login_as("consultant", store)
    lead = factory.lead(owner=c.user)
    other = factory.lead(owner=factory.user("consultant", store))
    db.session.commit()
    # Inviting from the lead page returns to the lead page (it once went to the event list), the second time too.
    for _ in range(2):
        response = c.post(f"/leads/{lead.id}/invite", data={"event_id": event.id})
        assert response.status_code == 303 and response.headers["Location"] == f"/leads/{lead.id}"
    rows = db.session.execute(select(Invitation)).scalars().all()
    assert len(rows) == 1 and rows[0].inviter_id == c.user.id and len(rows[0].token) == 26
    assert c.post(f"/leads/{other.id}/invite", data={"event_id": event.id}).status_code == 404


def test_wrong_roles_get_403(login_as, factory):
    store = factory.store()
    assert login_as("clerk", store).get("/campaigns").status_code == 403
    assert login_as("consultant", store).get("/campaigns/new").status_code == 403
    assert login_as("dcc", store).post("/campaigns/1/generate").status_code == 403
    assert login_as("admin").get("/events/metrics").status_code == 403
