"""A consultant's phone shows the bell rise when the door tablet checks their customer in; the
notification opens the customer's page."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.followups.models import Notification
from tests.helpers_invite import make_event, make_invitation

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}


@pytest.fixture
def quick_bell(app):
    """The bell polls every second here (30 s in use), so the test need not wait half a minute."""
    before = app.config["NOTIFICATION_POLL_SECONDS"]
    app.config["NOTIFICATION_POLL_SECONDS"] = 1
    yield
    app.config["NOTIFICATION_POLL_SECONDS"] = before


@pytest.mark.browser
def test_the_consultants_bell_rises_when_the_door_checks_their_customer_in(
    browser, live_server, browser_login, factory, quick_bell
):
    store = factory.store()
    clerk = factory.user("clerk", store, display_name="王丽")
    consultant = factory.user("consultant", store, display_name="张伟")
    lead = factory.lead(owner=consultant, name="张三", stage="invited")
    event = make_event(store, starts_in=timedelta(hours=-1), theme="新车品鉴会")
    invitation = make_invitation(event, lead, inviter=consultant)
    db.session.commit()

    phone = browser.new_context(**PHONE)
    mobile = phone.new_page()
    browser_login(mobile, consultant)
    bell = mobile.locator("#bell .bell")
    expect(bell).to_be_visible()  # in the top bar, not hidden in the folded menu
    expect(mobile.locator("#bell .bell-count")).to_be_hidden()

    tablet = browser.new_context(**TABLET)
    door = tablet.new_page()
    browser_login(door, clerk)
    door.goto(f"{live_server}/checkin/{event.id}")
    door.locator("#scan-code").fill(invitation.token)
    door.keyboard.press("Enter")
    door.wait_for_selector('[data-outcome="ok"]')
    expect(door.locator("[data-owner]")).to_contain_text("张伟")  # the door card names the owner

    count = mobile.locator("#bell .bell-count")
    expect(count).to_be_visible(timeout=10_000)
    expect(count).to_contain_text("1")
    bell.click()
    mobile.wait_for_url(re.compile(r".*/notifications$"))
    item = mobile.locator(".notification.unread").first
    expect(item).to_contain_text("您的客户 张三 已于")
    expect(item).to_contain_text("（活动：新车品鉴会，签到人 王丽）")
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
    item.locator("a.notification-title").click()
    mobile.wait_for_url(re.compile(rf".*/leads/{lead.id}$"))
    expect(mobile.get_by_text("张三").first).to_be_visible()
    expect(mobile.locator("#bell .bell-count")).to_be_hidden(timeout=10_000)  # read now
    db.session.expire_all()
    assert db.session.query(Notification).filter_by(user_id=consultant.id).one().read_at is not None
    tablet.close()
    phone.close()
