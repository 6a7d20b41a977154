"""A consultant on a phone copies or shares a customer's RSVP link from the lead page and the
campaign call list (static/js/share.js: Clipboard API, a select-the-text fallback, navigator.share)."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.invitations.models import Campaign, CampaignMember
from app.invitations.models import InvitationStatus as S
from tests.helpers_invite import make_event, make_invitation

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}

# Records what the page would share; installed before any page script runs.
SHARE_STUB = """
window.__shared = [];
Object.defineProperty(navigator, 'share', {configurable: true, value: function (data) {
  window.__shared.push(data); return Promise.resolve();
}});
"""
NO_SHARE = "Object.defineProperty(navigator, 'share', {configurable: true, value: undefined});"


@pytest.fixture
def invited(factory):
    store = factory.store()
    consultant = factory.user("consultant", store, display_name="张伟")
    lead = factory.lead(owner=consultant, name="王先生")
    event = make_event(store, theme="揽月品鉴会")
    campaign = Campaign(
        name="五一邀约",
        store_id=store.id,
        event_id=event.id,
        starts_on=date.today(),
        ends_on=date.today() + timedelta(days=30),
        channels=["phone"],
        status="active",
    )
    db.session.add(campaign)
    db.session.flush()
    db.session.add(CampaignMember(campaign_id=campaign.id, user_id=consultant.id))
    invitation = make_invitation(event, lead, inviter=consultant, status=S.TODO, campaign_id=campaign.id)
    db.session.commit()
    return {"consultant": consultant, "lead": lead, "invitation": invitation, "campaign": campaign}


def _phone(browser, live_server, *, script=SHARE_STUB):
    context = browser.new_context(**PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    context.add_init_script(script)
    return context


@pytest.mark.browser
@pytest.mark.parametrize("where", ["lead", "calls"])
def test_consultant_copies_and_shares_the_rsvp_link(app, browser, live_server, browser_login, invited, where):
    context = _phone(browser, live_server)
    page = context.new_page()
    browser_login(page, invited["consultant"])
    url = f"/leads/{invited['lead'].id}" if where == "lead" else f"/campaigns/{invited['campaign'].id}/calls"
    page.goto(live_server + url)
    box = page.locator("[data-share-link]").first
    # the address the SMS carries: the public base URL (the customer's phone cannot reach the staff host)
    link = f"{app.config['PUBLIC_BASE_URL'].rstrip('/')}/r/{invited['invitation'].token}"
    expect(box.locator("[data-share-url]")).to_have_value(link)

    box.locator("[data-copy-link]").click()
    expect(box.locator("[data-share-status]")).to_have_text("链接已复制。")
    assert page.evaluate("navigator.clipboard.readText()") == link

    share = box.locator("[data-share]")
    expect(share).to_be_visible()
    share.click()
    shared = page.evaluate("window.__shared")
    assert shared == [{"title": "揽月品鉴会", "text": "您受邀参加揽月品鉴会，请点此回复。", "url": link}]
    context.close()


@pytest.mark.browser
def test_without_clipboard_or_share_the_link_is_selected_and_share_stays_hidden(
    browser, live_server, browser_login, invited
):
    script = (
        NO_SHARE + "Object.defineProperty(navigator, 'clipboard', {configurable: true, value: undefined});"
    )
    context = _phone(browser, live_server, script=script)
    page = context.new_page()
    browser_login(page, invited["consultant"])
    page.goto(f"{live_server}/leads/{invited['lead'].id}")
    box = page.locator("[data-share-link]").first
    expect(box.locator("[data-share]")).to_be_hidden()
    box.locator("[data-copy-link]").click()
    expect(box.locator("[data-share-status]")).not_to_be_empty()
    selected = page.evaluate(
        "() => { const i = document.querySelector('[data-share-url]');"
        " return i.value.substring(i.selectionStart, i.selectionEnd); }"
    )
    assert selected.endswith(f"/r/{invited['invitation'].token}")
    context.close()
