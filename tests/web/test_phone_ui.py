"""Phone and tablet markup: clickable links in notes and directions, lead cards, tab bar, RSVP, manifest."""

import pytest

from app.extensions import db
from app.invitations.models import InvitationStatus as S
from tests.helpers_invite import make_event, make_invitation

URL = "https://map.example.com/route?from=a&to=b"
PAYLOAD = "javascript:alert(document.cookie)"


@pytest.fixture
def store_world(factory):
    store = factory.store(name="朝阳店")
    consultant = factory.user("consultant", store, display_name="李娜")
    lead = factory.lead(
        owner=consultant, name="王先生", notes=f"地图 {URL}\n{PAYLOAD}\n<img src=x onerror=alert(1)>"
    )
    event = make_event(store, directions=f"停车见 {URL} 。{PAYLOAD}")
    invitation = make_invitation(event, lead, inviter=consultant, status=S.INVITED)
    db.session.commit()
    return {"store": store, "consultant": consultant, "lead": lead, "event": event, "invitation": invitation}


def _one_safe_link(html):
    assert html.count('href="https://map.example.com/route?from=a&amp;to=b"') == 1
    assert 'rel="noopener noreferrer nofollow"' in html
    assert 'href="javascript:' not in html and PAYLOAD in html
    assert "<img src=x" not in html


def test_lead_notes_links_are_clickable_and_safe(login, store_world):
    html = login(store_world["consultant"]).get(f"/leads/{store_world['lead'].id}").get_data(as_text=True)
    _one_safe_link(html)


def test_rsvp_directions_links_are_clickable_and_safe(client, store_world):
    html = client.get(f"/r/{store_world['invitation'].token}").get_data(as_text=True)
    _one_safe_link(html)
