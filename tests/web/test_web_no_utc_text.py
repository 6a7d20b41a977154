"""No person reads "UTC": e-mails, SMS, the monthly PDF, the calendar file's text and the pages
all give the store's local times."""

import re
import subprocess
from datetime import datetime

import pytest
from sqlalchemy import select

from app.core.timeutil import to_local
from app.extensions import db
from app.invitations.models import Event
from app.invitations.models import InvitationStatus as S
from app.messaging import backends
from app.messaging.outbox import deliver_due
from app.reports.catalog import REPORTS
from tests.helpers_invite import make_event, make_invitation
from tests.helpers_reports import OCTOBER, build_world, monthly_pdf

UTC_WORD = re.compile(r"\bUTC\b|\bGMT\b|[0-9]{2}:[0-9]{2}(:[0-9]{2})?Z\b")


def _text(html: str) -> str:
    """The text a person reads: without tags, scripts and attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture
def world(factory, db):
    return build_world(factory, db)


def test_emails_and_sms_give_local_times(factory, app):
    from app.followups.assignment import assign_lead
    from app.followups.jobs import send_daily_digest
    from app.invitations.jobs import queue_reminders
    from app.invitations.services import send_invitation

    store = factory.store()
    consultant = factory.user("consultant", store, email="c@example.com")
    manager = factory.user("manager", store, email="m@example.com")
    lead = factory.lead(store=store)
    now = datetime(2030, 5, 1, 17, 0)  # 01:00 on 2 May in Shanghai
    assign_lead(lead, consultant, manager, now=now)
    event = make_event(store)
    event.starts_at, event.ends_at = datetime(2030, 5, 2, 22, 0), datetime(2030, 5, 3, 1, 0)  # 06:00 on 3 May
    guest = factory.lead(owner=consultant, store=store, marketing_consent=True, email="g@example.com")
    invitation = make_invitation(event, guest, inviter=consultant, status=S.INVITED)
    send_invitation(invitation, event, guest, "sms", actor=consultant, now=now)
    send_invitation(invitation, event, guest, "email", actor=consultant, now=now)
    accepted = make_invitation(
        event, factory.lead(owner=consultant, store=store), inviter=consultant, status=S.ACCEPTED
    )
    assert accepted.id
    queue_reminders(datetime(2030, 5, 2, 2, 0))  # 10:00 on 2 May: the day before
    send_daily_digest(now)
    db.session.commit()
    backends.SENT.clear()
    deliver_due(datetime(2030, 5, 3, 2, 0))  # 10:00 on 3 May: inside the SMS window
    db.session.commit()
    sent = list(backends.SENT)
    channels = {m.channel for m in sent}
    assert {"sms", "email"} <= channels and len(sent) >= 4
    for message in sent:
        text = f"{message.subject or ''}\n{message.body}\n{message.html or ''}"
        assert not UTC_WORD.search(text), text
    local_start = to_local(event.starts_at, "Asia/Shanghai")
    assert any(local_start.strftime("%m-%d %H:%M") in m.body for m in sent if m.channel == "sms")
    reminders = [m for m in sent if m.channel == "sms" and "提醒" in m.body]
    assert reminders and all("06:00" in m.body for m in reminders)
    deadline = to_local(db.session.get(type(lead), lead.id).first_contact_due_at, "Asia/Shanghai")
    assert any(deadline.strftime("%Y-%m-%d %H:%M") in m.body for m in sent if m.to == "c@example.com")


def test_monthly_pdf_text_has_no_utc(world, login, tmp_path):
    response_data = monthly_pdf(login(world.manager), month="2026-10")
    path = tmp_path / "m.pdf"
    path.write_bytes(response_data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    assert "月度经营报告" in text
    assert not UTC_WORD.search(text)
    assert re.search(r"生成时间\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text) or re.search(
        r"Generated\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}", text
    )


def test_calendar_file_text_is_local(factory, client):
    store = factory.store()
    event = make_event(store)
    event.starts_at, event.ends_at = datetime(2030, 5, 2, 22, 0), datetime(2030, 5, 3, 1, 0)
    invitation = make_invitation(event, factory.lead(store=store), status=S.ACCEPTED)
    db.session.commit()
    body = client.get(f"/r/{invitation.token}/event.ics").get_data(as_text=True)
    assert "DTSTART:20300502T220000Z" in body  # machines read UTC
    description = next(line for line in body.split("\r\n") if line.startswith("DESCRIPTION:"))
    assert "2030-05-03 06:00–09:00" in description  # people read Shanghai time
    assert "UTC" not in description


def test_pages_show_no_utc(world, login, factory, db):
    clerk = factory.user("clerk", world.store_a)
    db.session.commit()
    event = db.session.execute(select(Event).order_by(Event.id)).scalars().first()
    manager_pages = [
        "/",
        "/leads",
        "/board",
        "/plans",
        "/events",
        f"/events/{event.id}",
        "/events/metrics",
        "/events/metrics?by=consultant",
        "/campaigns",
        "/reports/",
        "/reports/targets",
        *[f"/reports/{r.key}?{OCTOBER}" for r in REPORTS],
    ]
    checked = 0
    for user, pages in (
        (world.manager, manager_pages),
        (world.c1, ["/", "/plans", "/leads", "/events"]),
        (world.director, ["/", "/reports/", f"/reports/discipline?{OCTOBER}", "/admin/audit"]),
        (clerk, ["/showroom/reception"]),
    ):
        client = login(user)
        for url in pages:
            response = client.get(url)
            if response.status_code in (403, 404):
                continue
            assert response.status_code == 200, url
            text = _text(response.get_data(as_text=True))
            assert not UTC_WORD.search(text), (url, UTC_WORD.search(text).group(0))
            checked += 1
    assert checked >= 30


def test_utc_word_pattern_catches_what_it_should():
    assert UTC_WORD.search("请在 2026-11-30 16:30（UTC）之前联系客户。")
    assert UTC_WORD.search("生成时间 2026-11-30 16:30 UTC")
    assert not UTC_WORD.search("生成时间 2026-12-01 00:30")
