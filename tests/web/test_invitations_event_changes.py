"""Events cancelled or postponed: guests told (service messages), RSVP page and calendar follow."""

from datetime import datetime

import pytest
from sqlalchemy import select

from app.audit.models import AuditLog
from app.extensions import db
from app.invitations.models import Event
from app.invitations.models import InvitationStatus as S
from app.messaging.models import Message
from tests.helpers_invite import make_event, make_invitation

START = datetime(2030, 5, 3, 6, 0)  # 14:00 on 3 May in Shanghai


@pytest.fixture
def party(factory):
    store = factory.store(name="朝阳店")
    marketing = factory.user("marketing", store)
    consultant = factory.user("consultant", store)
    event = make_event(store, theme="新车品鉴会", place="展厅一楼")
    event.starts_at, event.ends_at = START, datetime(2030, 5, 3, 9, 0)
    coming = factory.lead(owner=consultant, store=store, marketing_consent=False, email="a@example.com")
    refused = factory.lead(owner=consultant, store=store, marketing_consent=True, email="b@example.com")
    refused.sms_opt_out_at = datetime(2030, 4, 1)
    declined = factory.lead(owner=consultant, store=store)
    guests = {
        "coming": make_invitation(event, coming, inviter=consultant, status=S.ACCEPTED),
        "refused": make_invitation(event, refused, inviter=consultant, status=S.ACCEPTED),
        "declined": make_invitation(event, declined, inviter=consultant, status=S.DECLINED),
    }
    db.session.commit()
    return event, marketing, consultant, guests


def outbox():
    return db.session.execute(select(Message).order_by(Message.id)).scalars().all()


def test_cancel_tells_accepted_guests_and_the_rsvp_page_says_so(party, login, client):
    event, marketing, _consultant, guests = party
    response = login(marketing).post(f"/events/{event.id}/cancel")
    assert response.status_code == 303 and response.headers["Location"] == f"/events/{event.id}"
    db.session.expire_all()
    assert db.session.get(Event, event.id).cancelled_at is not None
    rows = outbox()
    by = {(m.invitation_id, m.channel): m for m in rows}
    coming, refused = guests["coming"].id, guests["refused"].id
    # service messages: no marketing consent needed, but never on a channel the customer refused
    assert by[(coming, "sms")].status == "queued" and "已取消" in by[(coming, "sms")].body
    assert by[(coming, "email")].status == "queued" and by[(coming, "email")].purpose == "service"
    assert by[(refused, "sms")].status == "suppressed" and by[(refused, "sms")].last_error == "opted_out"
    assert by[(refused, "email")].status == "queued"
    assert not any(m.invitation_id == guests["declined"].id for m in rows)
    with open(by[(coming, "email")].attachment_path, encoding="utf-8", newline="") as fh:
        calendar = fh.read()
    assert "METHOD:CANCEL\r\n" in calendar and "STATUS:CANCELLED\r\n" in calendar
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "event.cancel")).scalar_one()
    assert audit.user_id == marketing.id and audit.object_id == str(event.id)
    page = client.get(f"/r/{guests['coming'].token}")
    assert page.status_code == 200 and "活动已取消" in page.get_data(as_text=True)
    assert client.post(f"/r/{guests['coming'].token}", data={"answer": "accept"}).status_code == 409
    ics = client.get(f"/r/{guests['coming'].token}/event.ics").get_data(as_text=True)
    assert "METHOD:CANCEL" in ics
    # twice: refused, nothing more sent
    assert login(marketing).post(f"/events/{event.id}/cancel").status_code == 303
    assert len(outbox()) == len(rows)


def test_postpone_moves_the_event_tells_guests_and_bumps_the_calendar(party, login, client):
    event, marketing, _consultant, guests = party
    manager = login(marketing)
    response = manager.post(
        f"/events/{event.id}/postpone", data={"starts_at": "2030-05-10T14:00", "ends_at": "2030-05-10T17:00"}
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/events/{event.id}"
    db.session.expire_all()
    moved = db.session.get(Event, event.id)
    assert (moved.starts_at, moved.ends_at, moved.sequence) == (
        datetime(2030, 5, 10, 6, 0),
        datetime(2030, 5, 10, 9, 0),
        1,
    )
    sms = [m for m in outbox() if m.channel == "sms" and m.status == "queued"]
    assert len(sms) == 1 and "2030-05-10 14:00–17:00" in sms[0].body and "改期" in sms[0].body
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "event.postpone")).scalar_one()
    assert audit.detail["after"][0].startswith("2030-05-10T06:00")
    page = client.get(f"/r/{guests['coming'].token}").get_data(as_text=True)
    assert "活动时间已变更" in page and "2030-05-10 14:00" in page
    ics = client.get(f"/r/{guests['coming'].token}/event.ics").get_data(as_text=True)
    assert "SEQUENCE:1\r\n" in ics and "DTSTART:20300510T060000Z" in ics and "METHOD:PUBLISH" in ics
    bad = manager.post(
        f"/events/{event.id}/postpone", data={"starts_at": "2030-05-10T14:00", "ends_at": "2030-05-10T13:00"}
    )
    assert bad.status_code == 303
    db.session.expire_all()
    assert db.session.get(Event, event.id).sequence == 1


def test_only_marketing_and_managers_may_change_events(party, login, factory):
    event, _marketing, consultant, _guests = party
    assert login(consultant).post(f"/events/{event.id}/cancel").status_code == 403
    other_manager = factory.user("manager", factory.store())
    db.session.commit()
    assert login(other_manager).post(f"/events/{event.id}/cancel").status_code == 404
    assert db.session.get(Event, event.id).cancelled_at is None and outbox() == []


def test_event_page_offers_the_change_to_marketing(party, login):
    event, marketing, consultant, _guests = party
    page = login(marketing).get(f"/events/{event.id}").get_data(as_text=True)
    assert "取消活动并通知来宾" in page and "改期并通知来宾" in page
    assert "取消活动并通知来宾" not in login(consultant).get(f"/events/{event.id}").get_data(as_text=True)


@pytest.mark.parametrize("value", ["", "not a time", "9999-12-31"])
def test_postpone_with_an_unreadable_time_says_so_and_keeps_the_event(party, login, value):
    event, marketing, _consultant, _guests = party
    manager = login(marketing)
    response = manager.post(f"/events/{event.id}/postpone", data={"starts_at": value, "ends_at": value})
    assert response.status_code == 303
    page = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "请填写开始时间" in page or "Not a valid datetime value" in page or "无效" in page
    db.session.expire_all()
    assert db.session.get(Event, event.id).sequence == 0 and outbox() == []
