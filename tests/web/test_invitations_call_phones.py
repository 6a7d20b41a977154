"""Call lists show a full number only to the customer's owner or DCC agent; the person making the
call reveals anyone else's number on purpose, and every reveal is audited."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.accounts.models import Store
from app.audit.models import AuditLog
from app.extensions import db
from app.invitations.models import Campaign, CampaignMember
from app.invitations.models import InvitationStatus as S
from tests.helpers_invite import make_event, make_invitation

FULL_NUMBER = re.compile(r"1[3-9]\d{9}|1[3-9]\d \d{4} \d{4}")


@pytest.fixture
def calls(factory):
    store = factory.store()
    inviter = factory.user("consultant", store)
    colleague = factory.user("consultant", store)
    event = make_event(store)
    campaign = Campaign(
        name="五一邀约",
        store_id=store.id,
        event_id=event.id,
        starts_on=date(2030, 4, 1),
        ends_on=date(2030, 4, 30),
        channels=["phone"],
    )
    db.session.add(campaign)
    db.session.flush()
    db.session.add(CampaignMember(campaign_id=campaign.id, user_id=inviter.id))
    others = factory.lead(owner=colleague, store=store, phone="+8613911112222", name="别人的客户")
    own = factory.lead(owner=inviter, store=store, phone="+8613733334444", name="自己的客户")
    theirs = make_invitation(event, others, inviter=inviter, status=S.TODO, campaign_id=campaign.id)
    mine = make_invitation(event, own, inviter=inviter, status=S.TODO, campaign_id=campaign.id)
    db.session.commit()
    return campaign, inviter, colleague, theirs, mine


def _row(html: str, invitation_id: int) -> str:
    return re.search(rf'<li class="call card" id="call-{invitation_id}">.*?</li>', html, re.S).group(0)


def test_call_list_masks_other_consultants_customers_and_shows_my_own(calls, login):
    campaign, inviter, _colleague, theirs, mine = calls
    html = login(inviter).get(f"/campaigns/{campaign.id}/calls").get_data(as_text=True)
    other_row, own_row = _row(html, theirs.id), _row(html, mine.id)
    assert "139****2222" in other_row and not FULL_NUMBER.search(other_row) and "tel:" not in other_row
    assert f'action="/invitations/{theirs.id}/reveal"' in other_row
    assert 'href="tel:+8613733334444"' in own_row and "/reveal" not in own_row
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "lead.reveal_phone")
        )
        == 0
    )


def test_revealing_a_number_on_the_call_list_is_audited(calls, login):
    _campaign, inviter, _colleague, theirs, _mine = calls
    response = login(inviter).htmx("post", f"/invitations/{theirs.id}/reveal")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'href="tel:+8613911112222"' in html
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "lead.reveal_phone")).scalar_one()
    assert (audit.user_id, audit.object_type, audit.object_id) == (inviter.id, "lead", str(theirs.lead_id))
    assert audit.detail == {"invitation_id": theirs.id}


def test_outcome_answer_keeps_the_number_masked(calls, login):
    _campaign, inviter, _colleague, theirs, _mine = calls
    response = login(inviter).htmx(
        "post", f"/invitations/{theirs.id}/outcome", data={"outcome": "no_answer", "retry_hours": "2"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "139****2222" in html and not FULL_NUMBER.search(html)


def test_reveal_on_someone_elses_invitation_is_404_and_not_audited(calls, factory, login):
    _campaign, _inviter, colleague, theirs, _mine = calls
    outsider = factory.user("consultant", db.session.get(Store, colleague.store_id))
    manager_elsewhere = factory.user("manager", factory.store())
    db.session.commit()
    assert login(outsider).htmx("post", f"/invitations/{theirs.id}/reveal").status_code == 404
    assert login(manager_elsewhere).htmx("post", f"/invitations/{theirs.id}/reveal").status_code == 404
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == "lead.reveal_phone")
        )
        == 0
    )


def _guest_row(html: str, name: str) -> str:
    return re.search(rf"<tr>\s*<td class=\"card-title\">{name}.*?</tr>", html, re.S).group(0)


def test_event_guest_list_calls_my_own_customer_and_masks_the_others(calls, login, factory):
    campaign, inviter, _colleague, theirs, mine = calls
    theirs.status = mine.status = S.ACCEPTED  # the guest list opens on the accepted guests
    manager = factory.user("manager", db.session.get(Store, campaign.store_id))
    db.session.commit()
    html = login(inviter).get(f"/events/{campaign.event_id}").get_data(as_text=True)
    # the number itself and the phone card's call button
    assert _guest_row(html, "自己的客户").count('href="tel:+8613733334444"') == 2
    html = login(manager).get(f"/events/{campaign.event_id}").get_data(as_text=True)
    for name, masked in (("自己的客户", "137****4444"), ("别人的客户", "139****2222")):
        row = _guest_row(html, name)
        assert masked in row and "tel:" not in row and not FULL_NUMBER.search(row)
