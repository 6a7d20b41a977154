"""Customers see the store's or the brand's name: SMS signatures and public page titles."""

import re
from datetime import timedelta

from sqlalchemy import select

from app.admin.models import Setting
from app.audit.models import AuditLog
from app.core.timeutil import utcnow
from app.extensions import db
from app.invitations.models import InvitationStatus as S
from app.invitations.models import SurveyResponse
from app.invitations.services import send_invitation
from app.messaging.outbox import queue_sms
from app.reports import survey
from tests.helpers_invite import make_event, make_invitation

SIGNATURE = re.compile(r"【[^】]*】")


def set_setting(key, value):
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    db.session.flush()


def test_store_signature_wins_and_appears_once(factory):
    store = factory.store(name="朝阳店", sms_signature="远航汽车朝阳")
    lead = factory.lead(store=store, marketing_consent=True)
    message = queue_sms(lead.phone, "【线索闭环】您好", lead=lead, purpose="marketing")
    assert message.body.startswith("【远航汽车朝阳】您好") and SIGNATURE.findall(message.body) == [
        "【远航汽车朝阳】"
    ]
    assert message.body.endswith("回复TD退订")


def test_brand_signature_then_brand_name_then_store_name(factory):
    store = factory.store(name="朝阳店")
    lead = factory.lead(store=store)
    assert queue_sms(lead.phone, "提醒", lead=lead).body == "【朝阳店】提醒"
    set_setting("brand_name", "远航汽车")
    assert queue_sms(lead.phone, "提醒", lead=lead).body == "【远航汽车】提醒"
    set_setting("sms_signature", "远航")
    assert queue_sms(lead.phone, "提醒", lead=lead).body == "【远航】提醒"
    assert queue_sms("13900001111", "值班提醒").body == "【远航】值班提醒"  # staff: the brand


def test_invitation_sms_never_signed_by_the_product(factory):
    store = factory.store(name="朝阳店")
    consultant = factory.user("consultant", store)
    lead = factory.lead(owner=consultant, store=store, marketing_consent=True)
    event = make_event(store)
    invitation = make_invitation(event, lead, inviter=consultant, status=S.TODO)
    message = send_invitation(invitation, event, lead, "sms", actor=consultant)
    assert SIGNATURE.findall(message.body) == ["【朝阳店】"]
    assert "线索闭环" not in message.body and "LeadLoop" not in message.body


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S).group(1)


def test_public_pages_are_titled_with_the_store(client, factory):
    store = factory.store("SH09", name="上海旗舰店")
    consultant = factory.user("consultant", store)
    lead = factory.lead(owner=consultant, store=store, marketing_consent=True)
    invitation = make_invitation(
        make_event(store, theme="新车品鉴会"), lead, inviter=consultant, status=S.INVITED
    )
    answer = SurveyResponse(
        token=survey.new_token(), lead_id=lead.id, store_id=store.id, expires_at=utcnow() + timedelta(days=3)
    )
    db.session.add(answer)
    db.session.commit()
    for url in (f"/r/{invitation.token}", f"/s/{answer.token}", f"/f/{store.code}"):
        text = title(client.get(url))
        assert "上海旗舰店" in text and "线索闭环" not in text and "LeadLoop" not in text, (url, text)
    assert title(client.get(f"/r/{invitation.token}")) == "新车品鉴会 · 上海旗舰店"
    # staff pages keep the product's name
    assert "线索闭环" in title(client.get("/login"))


def test_admin_sets_brand_and_store_signature_audited(factory, login_as):
    store = factory.store("NB03", name="宁波三店")
    admin = login_as("admin")
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert "品牌短信签名" in page and "品牌名称" in page
    data = {"code": "NB03", "name": "宁波三店", "timezone": "Asia/Shanghai", "sms_signature": "远航宁波"}
    assert admin.post(f"/admin/stores/{store.id}", data=data).status_code == 303
    db.session.expire_all()
    assert store.sms_signature == "远航宁波"
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "store.update")).scalar_one()
    assert audit.detail["changes"]["sms_signature"] == [None, "远航宁波"]
    assert login_as("manager", store).post(f"/admin/stores/{store.id}", data=data).status_code == 403


def test_admin_sets_the_brand_in_settings(login_as):
    from app.admin.defaults import get_setting

    admin = login_as("admin")
    response = admin.post(
        "/admin/settings",
        data={
            "first_contact_hours": 24,
            "reclaim_days": 30,
            "invited_not_arrived_days": 30,
            "penalty_base": 50,
            "penalty_doubling": "y",
            "penalty_manager_share": "0.5",
            "penalty_repeat_period": "month",
            "penalty_item_cap": 800,
            "penalty_monthly_cap": 2000,
            "export_row_cap": 2000,
            "rsvp_cutoff_hours": 2,
            "brand_name": "远航汽车",
            "sms_signature": "远航",
        },
    )
    assert response.status_code == 303
    assert (get_setting("brand_name"), get_setting("sms_signature")) == ("远航汽车", "远航")
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "settings.update")).scalar_one()
    assert audit.detail["changes"]["brand_name"][1] == "远航汽车"


def test_email_invitation_has_place_local_time_directions_sender_unsubscribe_and_calendar(
    factory, login, app
):
    from datetime import datetime

    from app.messaging import backends
    from app.messaging.outbox import deliver_due

    store = factory.store(name="朝阳店")
    consultant = factory.user("consultant", store)
    lead = factory.lead(
        owner=consultant, store=store, marketing_consent=True, email="g@example.com", name="王先生"
    )
    event = make_event(
        store, theme="新车品鉴会", place="展厅一楼", address="朝阳路1号", directions="地铁10号线A口"
    )
    event.starts_at, event.ends_at = (
        datetime(2030, 5, 3, 6, 0),
        datetime(2030, 5, 3, 9, 0),
    )  # 14:00–17:00 local
    invitation = make_invitation(event, lead, inviter=consultant, status=S.TODO)
    message = send_invitation(
        invitation, event, lead, "email", actor=consultant, now=datetime(2030, 5, 1, 2, 0)
    )
    db.session.commit()
    body = message.body
    for part in (
        "王先生",
        "新车品鉴会",
        "2030-05-03 14:00–17:00",
        "展厅一楼 朝阳路1号",
        "地铁10号线A口",
        f"/r/{invitation.token}",
        f"/r/{invitation.token}#unsubscribe",
        "朝阳店",
    ):
        assert part in body, part
    assert "线索闭环" not in body and "LeadLoop" not in body
    assert message.sender_name == "朝阳店" and message.attachment_path.endswith(".ics")
    with open(message.attachment_path, encoding="utf-8", newline="") as fh:
        calendar = fh.read()
    assert "DTSTART:20300503T060000Z\r\n" in calendar and "SUMMARY:新车品鉴会" in calendar
    backends.SENT.clear()
    deliver_due(datetime(2030, 5, 1, 2, 1))
    (sent,) = [m for m in backends.SENT if m.to == "g@example.com"]
    assert sent.sender_name == "朝阳店" and sent.attachment_path == message.attachment_path


def test_smtp_puts_the_store_in_from_and_attaches_the_calendar(app, tmp_path, monkeypatch):
    from app.messaging import backends

    path = tmp_path / "event.ics"
    path.write_text("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", encoding="utf-8")
    captured = {}

    class FakeSMTP:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            pass

        def login(self, *args):
            pass

        def send_message(self, email):
            captured["email"] = email

    monkeypatch.setattr(backends.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_USE_SSL", False)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    backends._smtp(
        backends.Outgoing(
            id=1,
            channel="email",
            to="g@example.com",
            subject="邀请",
            body="正文",
            attachment_path=str(path),
            sender_name="朝阳店",
        )
    )
    email = captured["email"]
    assert email["From"].addresses[0].display_name == "朝阳店"
    (attachment,) = list(email.iter_attachments())
    assert attachment.get_content_type() == "text/calendar" and attachment.get_filename() == "event.ics"


def test_rsvp_page_lets_the_guest_stop_e_mails(client, factory):
    store = factory.store(name="朝阳店")
    lead = factory.lead(store=store, marketing_consent=True, email="g@example.com")
    invitation = make_invitation(make_event(store), lead, status=S.INVITED)
    db.session.commit()
    page = client.get(f"/r/{invitation.token}").get_data(as_text=True)
    assert 'id="unsubscribe"' in page and "退订营销邮件" in page
    response = client.post(f"/r/{invitation.token}/unsubscribe", data={"channel": "email"})
    assert response.status_code == 303
    db.session.expire_all()
    from app.leads.models import Lead

    stored = db.session.get(Lead, lead.id)
    assert stored.email_opt_out_at is not None and stored.sms_opt_out_at is None
