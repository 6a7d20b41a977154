"""Customers' SMS replies: opt-out words anywhere, every other reply on the timeline and to the inviter."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.followups.models import Notification
from app.invitations.models import InvitationStatus as S
from app.leads.models import ConsentRecord, Lead
from app.messaging.models import Message
from tests.helpers_invite import make_event, make_invitation

TOKEN = {"X-Webhook-Token": "s3cret"}


@pytest.fixture
def customer(app, factory):
    app.config["SMS_WEBHOOK_TOKEN"] = "s3cret"
    store = factory.store()
    owner = factory.user("consultant", store)
    inviter = factory.user("dcc", store)
    lead = factory.lead(
        owner=owner, store=store, marketing_consent=True, phone="+8613700002222", name="李女士"
    )
    make_invitation(make_event(store), lead, inviter=inviter, status=S.INVITED)
    db.session.commit()
    return lead, owner, inviter


def reply(client, text, phone="13700002222"):
    return client.post("/webhooks/sms/inbound", json={"from": phone, "text": text}, headers=TOKEN)


@pytest.mark.parametrize("text", ["退订 谢谢", "ＴＤ", "t", "请不要再发了", "拒收", "Unsubscribe please"])
def test_opt_out_words_anywhere_withdraw_sms_consent(client, customer, text):
    lead, _owner, _inviter = customer
    response = reply(client, text)
    assert response.status_code == 200 and response.get_json()["action"] == "opted_out"
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).sms_opt_out_at is not None
    assert db.session.execute(select(ConsentRecord.source)).scalar_one() == "sms_reply"
    assert db.session.execute(select(Notification)).first() is None


def test_other_replies_land_on_the_timeline_and_reach_the_inviter(client, customer, login):
    lead, owner, inviter = customer
    response = reply(client, "周四来不了")
    assert response.status_code == 200 and response.get_json()["action"] == "recorded"
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).sms_opt_out_at is None
    stored = db.session.execute(select(Message).where(Message.status == "received")).scalar_one()
    assert (stored.lead_id, stored.body, stored.user_id) == (lead.id, "周四来不了", inviter.id)
    note = db.session.execute(select(Notification)).scalar_one()
    assert note.user_id == inviter.id and note.title == "李女士 回复了短信" and note.body == "周四来不了"
    assert (note.endpoint, note.args) == ("leads.lead_detail", {"lead_id": lead.id})
    page = login(owner).get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "客户短信回复" in page and "周四来不了" in page


def test_without_an_inviter_the_owner_is_told(client, app, factory):
    app.config["SMS_WEBHOOK_TOKEN"] = "s3cret"
    owner = factory.user("consultant")
    lead = factory.lead(owner=owner, phone="+8613700003333")
    db.session.commit()
    assert reply(client, "改天再说吧", phone="13700003333").get_json()["action"] == "recorded"
    assert db.session.execute(select(Notification.user_id)).scalar_one() == owner.id
    assert db.session.get(Lead, lead.id).sms_opt_out_at is None


def test_unknown_numbers_and_bad_tokens(client, customer):
    assert reply(client, "你好", phone="13911112222").get_json()["action"] == "unknown_number"
    forged = client.post("/webhooks/sms/inbound", json={"from": "13700002222", "text": "周四来不了"})
    assert forged.status_code == 403
    assert db.session.execute(select(Message)).first() is None
