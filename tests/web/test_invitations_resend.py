"""Sending an invitation again is explicit: the button says when it went, a resend is confirmed and audited."""

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from app.audit.models import AuditLog
from app.extensions import db
from app.invitations.models import Campaign, CampaignMember
from app.invitations.models import InvitationStatus as S
from app.messaging.models import Message
from tests.helpers_invite import make_event, make_invitation

MORNING = "2030-05-02 03:15:00"  # 11:15 in Shanghai


@pytest.fixture
def invitation(factory):
    store = factory.store()
    inviter = factory.user("consultant", store)
    lead = factory.lead(owner=inviter, store=store, marketing_consent=True, email="g@example.com")
    with freeze_time(MORNING):
        event = make_event(store)
        campaign = Campaign(
            store_id=store.id,
            name="五一",
            event_id=event.id,
            starts_on=event.starts_at.date(),
            ends_on=event.starts_at.date(),
        )
        db.session.add(campaign)
        db.session.flush()
        db.session.add(CampaignMember(campaign_id=campaign.id, user_id=inviter.id))
        invitation = make_invitation(event, lead, inviter=inviter, status=S.TODO, campaign_id=campaign.id)
    db.session.commit()
    return invitation, inviter, campaign


def messages():
    return db.session.execute(select(Message).order_by(Message.id)).scalars().all()


def test_pressing_send_again_sends_nothing_and_says_when(invitation, login):
    inv, inviter, campaign = invitation
    with freeze_time(MORNING):
        client = login(inviter)
        first = client.htmx("post", f"/invitations/{inv.id}/send", data={"channel": "sms"})
        assert first.status_code == 200 and "邀请已发出" in first.get_data(as_text=True)
        html = first.get_data(as_text=True)
        assert "已于 11:15 发送，再次发送？" in html and 'name="confirm" value="yes"' in html
        again = client.htmx("post", f"/invitations/{inv.id}/send", data={"channel": "sms"})
        assert again.status_code == 409 and "邀请已于 11:15 发出" in again.get_data(as_text=True)
        assert len(messages()) == 1
        assert not db.session.execute(select(AuditLog).where(AuditLog.action == "invitation.resend")).first()
        page = client.get(f"/campaigns/{campaign.id}/calls?done=1").get_data(as_text=True)
        assert "已于 11:15 发送，再次发送？" in page


def test_a_confirmed_resend_goes_out_and_is_audited(invitation, login):
    inv, inviter, _campaign = invitation
    with freeze_time(MORNING):
        client = login(inviter)
        assert client.htmx("post", f"/invitations/{inv.id}/send", data={"channel": "sms"}).status_code == 200
        resent = client.htmx("post", f"/invitations/{inv.id}/send", data={"channel": "sms", "confirm": "yes"})
        assert resent.status_code == 200 and "邀请已发出" in resent.get_data(as_text=True)
        # e-mail is a separate channel: its first send needs no confirmation
        assert (
            client.htmx("post", f"/invitations/{inv.id}/send", data={"channel": "email"}).status_code == 200
        )
    rows = messages()
    assert [m.channel for m in rows] == ["sms", "sms", "email"]
    assert all(m.status == "queued" for m in rows) and rows[0].idempotency_key != rows[1].idempotency_key
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "invitation.resend")).scalar_one()
    assert (audit.user_id, audit.object_id) == (inviter.id, str(inv.id))
    assert audit.detail == {"channel": "sms", "previous_message_id": rows[0].id, "message_id": rows[1].id}


def test_someone_elses_invitation_cannot_be_resent(invitation, login, factory):
    inv, inviter, _campaign = invitation
    login(inviter).htmx("post", f"/invitations/{inv.id}/send", data={"channel": "sms"})
    outsider = factory.user("consultant", factory.store())
    db.session.commit()
    response = login(outsider).htmx(
        "post", f"/invitations/{inv.id}/send", data={"channel": "sms", "confirm": "yes"}
    )
    assert response.status_code == 404 and len(messages()) == 1
