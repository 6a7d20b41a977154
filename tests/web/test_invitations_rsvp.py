"""The public RSVP page: answers, capacity, tokens, calendar file, QR code, unsubscribe, rate limit."""

import re
import shutil
import subprocess
from datetime import datetime, timedelta

import pytest
import segno

from app.core.timeutil import utcnow
from app.extensions import db, limiter
from app.followups.models import Notification
from app.invitations.models import InvitationStatus as S
from app.invitations.rules import new_token
from app.leads.models import ConsentRecord, Lead
from app.messaging import backends
from app.messaging.models import Message
from app.messaging.outbox import deliver_due, queue_sms
from tests.helpers_invite import make_event, make_invitation
from tests.helpers_platform import body_without_csrf


@pytest.fixture
def guest(factory):
    store = factory.store(name="朝阳店")
    consultant = factory.user("consultant", store, display_name="李娜")
    lead = factory.lead(
        owner=consultant, name="王先生", notes="预算30万 内部备注", budget_max=300000, marketing_consent=True
    )
    event = make_event(store, capacity=5, directions="地铁10号线A口", public_description="新车到店")
    invitation = make_invitation(event, lead, inviter=consultant, status=S.INVITED)
    db.session.commit()
    return invitation, event, lead, consultant


def test_page_shows_event_and_only_the_guests_minimal_data(client, guest):
    invitation, event, lead, _ = guest
    response = client.get(f"/r/{invitation.token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert event.theme in html and "地铁10号线A口" in html and "王先生" in html
    assert lead.phone not in html and lead.phone[3:] not in html
    assert re.search(r"139\*{4}\d{4}", html)
    assert "预算30万" not in html and "300000" not in html and "李娜" not in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert not re.search(r'src="https?://', html)


def test_accept_without_javascript_redirects_and_shows_qr(client, guest):
    invitation, event, lead, consultant = guest
    response = client.post(
        f"/r/{invitation.token}", data={"answer": "accept", "headcount": "2", "note": "带孩子"}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/r/{invitation.token}")
    db.session.expire_all()
    inv = db.session.get(type(invitation), invitation.id)
    assert inv.status == S.ACCEPTED and inv.headcount == 2 and inv.responded_at is not None
    assert db.session.get(Lead, lead.id).invited_at is not None
    note = db.session.query(Notification).filter_by(user_id=consultant.id).one()
    assert "王先生" in note.title
    page = client.get(f"/r/{invitation.token}").get_data(as_text=True)
    assert "<svg" in page and invitation.token in page and "event.ics" in page


def test_answer_can_change_until_cutoff_then_not(client, guest):
    invitation, event, *_ = guest
    client.post(f"/r/{invitation.token}", data={"answer": "accept", "headcount": "1"})
    client.post(f"/r/{invitation.token}", data={"answer": "decline"})
    db.session.expire_all()
    assert db.session.get(type(invitation), invitation.id).status == S.DECLINED
    event = db.session.get(type(event), event.id)
    event.rsvp_cutoff_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/r/{invitation.token}", data={"answer": "accept", "headcount": "1"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(type(invitation), invitation.id).status == S.DECLINED


def test_capacity_full_gives_a_clear_message(client, factory, guest):
    invitation, event, *_ = guest
    other = make_invitation(event, factory.lead(), status=S.ACCEPTED, headcount=4)
    db.session.commit()
    response = client.post(f"/r/{invitation.token}", data={"answer": "accept", "headcount": "2"})
    assert response.status_code == 409
    assert "1" in response.get_data(as_text=True)
    assert (
        client.post(f"/r/{invitation.token}", data={"answer": "accept", "headcount": "1"}).status_code == 303
    )
    assert other.id


def test_bad_unknown_and_revoked_tokens_give_identical_404(client, guest, factory):
    invitation, event, *_ = guest
    # an invitation withdrawn by the store (a cancelled event shows "活动已取消" instead)
    revoked = make_invitation(make_event(factory.store()), factory.lead(), status=S.CANCELLED)
    db.session.commit()
    bodies = set()
    for token in ("not-a-token", new_token(), revoked.token, invitation.token.lower(), "1" * 26):
        response = client.get(f"/r/{token}")
        assert response.status_code == 404
        # The page's CSRF token is signed with the second it was made in: the same for every token.
        bodies.add(body_without_csrf(response))
    assert len(bodies) == 1


def test_expired_token_is_gone(client, guest):
    invitation, *_ = guest
    invitation = db.session.get(type(invitation), invitation.id)
    invitation.token_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(f"/r/{invitation.token}").status_code == 410
    assert client.post(f"/r/{invitation.token}", data={"answer": "accept"}).status_code == 410
    assert client.get(f"/r/{invitation.token}/event.ics").status_code == 410


def test_calendar_file(client, guest):
    invitation, event, *_ = guest
    response = client.get(f"/r/{invitation.token}/event.ics")
    body = response.get_data(as_text=True)
    assert response.mimetype == "text/calendar"
    assert body.startswith("BEGIN:VCALENDAR\r\n") and "\r\nBEGIN:VEVENT\r\n" in body
    assert f"DTSTART:{event.starts_at.strftime('%Y%m%dT%H%M%SZ')}\r\n" in body
    assert f"DTEND:{event.ends_at.strftime('%Y%m%dT%H%M%SZ')}\r\n" in body


@pytest.mark.skipif(not shutil.which("zbarimg"), reason="zbarimg not installed")
def test_qr_code_decodes_to_the_token(tmp_path):
    token = new_token()
    path = tmp_path / "qr.png"
    segno.make_qr(token, error="m").save(str(path), scale=6, border=4)
    out = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == token


def test_unsubscribe_link_opts_out_and_suppresses_marketing(client, guest):
    invitation, event, lead, _ = guest
    response = client.post(f"/r/{invitation.token}/unsubscribe")
    assert response.status_code == 303 and response.headers["Location"] == f"/r/{invitation.token}"
    lead = db.session.get(Lead, lead.id)
    assert lead.sms_opt_out_at is not None
    record = db.session.query(ConsentRecord).filter_by(lead_id=lead.id).one()
    assert record.granted is False and record.source == "rsvp"
    message = queue_sms(lead.phone, "促销", purpose="marketing", lead=lead)
    assert message.status == "suppressed" and message.last_error == "opted_out"


def test_enumeration_is_rate_limited(guest, _tmpdir):
    from app import create_app
    from tests.conftest import IsolatedClient, _test_config

    app = create_app(_test_config(_tmpdir, RATELIMIT_ENABLED=True, PUBLIC_RATE_LIMIT="5 per minute"))
    app.test_client_class = IsolatedClient
    try:
        limiter.reset()
        client = app.test_client()
        codes = [client.get(f"/r/{new_token()}").status_code for _ in range(8)]
        assert codes[:5] == [404] * 5
        assert codes[5:] == [429] * 3
        # the real guest from the same address is limited too: the limit is per IP, not per token
        assert client.get(f"/r/{guest[0].token}").status_code == 429
    finally:
        limiter.reset()
        limiter.enabled = False


def test_delivery_goes_through_the_outbox(client, guest):
    invitation, event, lead, _ = guest
    backends.SENT.clear()
    daytime = datetime(2030, 5, 2, 3, 0)  # 11:00 in Shanghai: inside the sending window
    queue_sms(lead.phone, "提醒", lead=lead, invitation_id=invitation.id, now=daytime)
    db.session.commit()
    assert deliver_due(daytime + timedelta(seconds=1))["sent"] == 1
    assert db.session.query(Message).one().status == "sent"
