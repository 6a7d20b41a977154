"""Customers are texted only inside the store's sending window; call-backs are in working hours."""

from datetime import datetime

from freezegun import freeze_time
from sqlalchemy import select

from app.accounts.models import Store
from app.audit.models import AuditLog
from app.core.timeutil import to_local, utcnow
from app.extensions import db
from app.invitations import services
from app.invitations.models import InvitationStatus as S
from app.messaging import backends, outbox
from app.messaging.backends import DeliveryError
from app.messaging.models import Message
from app.messaging.outbox import deliver_due, queue_email, queue_sms
from tests.helpers_invite import make_event, make_invitation

NIGHT = "2030-05-01 17:56:00"  # 01:56 on 2 May in Shanghai
OPENING = datetime(2030, 5, 2, 1, 0)  # 09:00 on 2 May in Shanghai


def test_sms_queued_at_night_waits_for_the_window_and_delivery_skips_it(factory):
    lead = factory.lead()
    backends.SENT.clear()
    with freeze_time(NIGHT):
        message = queue_sms(lead.phone, "提醒", lead=lead)
        db.session.commit()
        assert message.next_attempt_at == OPENING
        assert deliver_due(utcnow()) == {"sent": 0, "failed": 0}
    # even when a worker asks for everything due by the opening minus one second, nothing is sent
    assert deliver_due(datetime(2030, 5, 2, 0, 59, 59))["sent"] == 0
    assert backends.SENT == []
    assert deliver_due(OPENING)["sent"] == 1
    assert db.session.get(Message, message.id).status == "sent"


def test_a_due_sms_found_outside_the_window_is_put_off_to_the_opening(factory):
    lead = factory.lead()
    message = queue_sms(lead.phone, "提醒", lead=lead, now=datetime(2030, 5, 1, 12, 0))  # 20:00 local
    db.session.commit()
    backends.SENT.clear()
    with freeze_time(NIGHT):
        result = deliver_due(utcnow())
    assert result == {"sent": 0, "failed": 0, "deferred": 1}
    assert backends.SENT == []
    message = db.session.get(Message, message.id)
    assert message.attempts == 0 and message.next_attempt_at == OPENING


def test_a_retry_after_a_failure_falls_inside_the_window(factory, monkeypatch):
    lead = factory.lead()
    late = datetime(2030, 5, 2, 12, 28)  # 20:28 local: the retry two minutes later would be at 20:30
    message = queue_sms(lead.phone, "提醒", lead=lead, now=late)
    db.session.commit()

    def provider_down(_message):
        raise DeliveryError("gateway timeout")

    monkeypatch.setattr(outbox, "send", provider_down)
    assert deliver_due(late)["failed"] == 1
    message = db.session.get(Message, message.id)
    assert message.status == "queued" and message.next_attempt_at == datetime(2030, 5, 3, 1, 0)


def test_messages_to_staff_and_e_mails_are_not_held(factory):
    lead = factory.lead(email="k@example.com")
    with freeze_time(NIGHT):
        staff = queue_sms("13900001111", "值班提醒")
        mail = queue_email("k@example.com", "主题", "正文", lead=lead)
        assert staff.next_attempt_at == utcnow() and mail.next_attempt_at == utcnow()


def test_a_store_window_from_its_settings(factory):
    store = factory.store(sms_window_start="10:00", sms_window_end="18:00")
    lead = factory.lead(store=store)
    message = queue_sms(lead.phone, "提醒", lead=lead, now=datetime(2030, 5, 2, 1, 30))  # 09:30 local
    assert message.next_attempt_at == datetime(2030, 5, 2, 2, 0)  # 10:00 local


def test_no_answer_call_back_falls_in_working_hours(factory):
    store = factory.store()
    consultant = factory.user("consultant", store)
    lead = factory.lead(owner=consultant, store=store)
    invitation = make_invitation(make_event(store), lead, inviter=consultant, status=S.TODO)
    with freeze_time(NIGHT):
        services.record_outcome(
            invitation, lead, services.Outcome("no_answer", retry_hours=2), actor=consultant
        )
    assert invitation.status == S.NO_ANSWER and invitation.retry_at == OPENING
    evening = datetime(2030, 5, 2, 11, 0)  # 19:00 local + 2 h = 21:00: the next morning
    invitation.status = S.TODO
    services.record_outcome(
        invitation, lead, services.Outcome("no_answer", retry_hours=2), actor=consultant, now=evening
    )
    assert to_local(invitation.retry_at, "Asia/Shanghai").strftime("%m-%d %H:%M") == "05-03 09:00"
    daytime = datetime(2030, 5, 2, 2, 0)  # 10:00 local + 2 h
    invitation.status = S.TODO
    services.record_outcome(
        invitation, lead, services.Outcome("no_answer", retry_hours=2), actor=consultant, now=daytime
    )
    assert to_local(invitation.retry_at, "Asia/Shanghai").strftime("%H:%M") == "12:00"


def test_admin_edits_the_store_window_audited_and_others_may_not(factory, login_as):
    store = factory.store("NB02", name="宁波二店")
    admin = login_as("admin")
    page = admin.get(f"/admin/stores/{store.id}").get_data(as_text=True)
    assert "客户短信发送时段开始" in page and "09:00" in page and "20:30" in page
    data = {
        "code": "NB02",
        "name": "宁波二店",
        "timezone": "Asia/Shanghai",
        "sms_window_start": "08:30",
        "sms_window_end": "20:00",
    }
    assert admin.post(f"/admin/stores/{store.id}", data=data).status_code == 303
    db.session.expire_all()
    store = db.session.get(Store, store.id)
    assert (store.sms_window_start, store.sms_window_end) == ("08:30", "20:00")
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "store.update")).scalar_one()
    assert audit.detail["changes"]["sms_window_start"] == ["09:00", "08:30"]
    backwards = admin.post(f"/admin/stores/{store.id}", data={**data, "sms_window_end": "07:00"})
    assert backwards.status_code == 422 and "结束时间必须晚于开始时间" in backwards.get_data(as_text=True)
    bad = admin.post(f"/admin/stores/{store.id}", data={**data, "sms_window_start": "9点"})
    assert bad.status_code == 422
    manager = login_as("manager", store)
    assert manager.post(f"/admin/stores/{store.id}", data=data).status_code == 403
