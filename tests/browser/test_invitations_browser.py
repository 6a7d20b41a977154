"""A guest answers the RSVP on a phone (with and without JavaScript); the door tablet scans codes."""

import re
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.accounts.models import Store
from app.extensions import db
from app.invitations.models import CheckIn, Event, Invitation
from app.invitations.models import InvitationStatus as S
from tests.helpers_invite import make_event, make_invitation

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}


def _door_tablet(browser, browser_login, live_server, clerk, event):
    """A tablet-sized, touch-enabled browser signed in as the clerk, on the event's door screen."""
    db.session.commit()
    context = browser.new_context(**TABLET)
    page = context.new_page()
    browser_login(page, clerk)
    page.goto(f"{live_server}/checkin/{event.id}")
    return context, page


@pytest.fixture
def invited(factory):
    store = factory.store()
    consultant = factory.user("consultant", store, display_name="张伟")
    lead = factory.lead(owner=consultant, name="王先生")
    event = make_event(store, theme="揽月品鉴会", directions="地铁10号线A口出")
    invitation = make_invitation(event, lead, inviter=consultant, status=S.INVITED)
    db.session.commit()
    return invitation


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False])
def test_guest_accepts_on_a_phone(browser, live_server, invited, javascript):
    context = browser.new_context(java_script_enabled=javascript, **PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/r/{invited.token}")
    assert page.get_by_text("揽月品鉴会").first.is_visible()
    assert page.get_by_text("地铁10号线A口出").is_visible()
    page.fill("input[name=headcount]", "3")
    page.click("button[value=accept]")
    page.wait_for_selector(".qr svg")
    assert page.url.endswith(f"/r/{invited.token}")
    assert page.locator(".rsvp-state.ok").first.is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    db.session.expire_all()
    invitation = db.session.get(Invitation, invited.id)
    assert invitation.status == S.ACCEPTED and invitation.headcount == 3
    # change of mind before the cut-off
    page.click("button[value=decline]")
    page.wait_for_selector(".rsvp-state:not(.ok)")
    db.session.expire_all()
    assert db.session.get(Invitation, invited.id).status == S.DECLINED
    context.close()


@pytest.mark.browser
def test_manager_adds_a_cover_image_and_the_guest_sees_it_on_a_phone(
    browser, live_server, browser_login, factory, invited, tmp_path
):
    event = db.session.get(Event, invited.event_id)
    manager = factory.user("manager", db.session.get(Store, event.store_id))
    db.session.commit()
    poster = tmp_path / "poster.png"
    Image.new("RGB", (3000, 1000), (30, 90, 160)).save(poster)

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    browser_login(page, manager)
    page.goto(f"{live_server}/events/{event.id}/edit")
    page.set_input_files("input[name=image]", str(poster))
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(rf".*/events/{event.id}$"))
    expect(page.locator("img.event-cover")).to_have_attribute("src", re.compile(r"/image/"))
    context.close()

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/r/{invited.token}")
    cover = page.locator("img.rsvp-cover")
    expect(cover).to_be_visible()
    page.wait_for_function("document.querySelector('img.rsvp-cover').complete")
    assert cover.evaluate("img => img.naturalWidth") == 1200  # re-encoded at the share size
    assert cover.bounding_box()["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    og_image = page.locator("meta[property='og:image']").get_attribute("content")
    assert og_image.endswith(cover.get_attribute("src")) and og_image.startswith("http")
    context.close()


@pytest.mark.browser
def test_door_tablet_scans_a_code_then_reports_the_repeat(browser, live_server, browser_login, factory):
    store = factory.store()
    clerk = factory.user("clerk", store, display_name="李娜")
    consultant = factory.user("consultant", store, display_name="张伟")
    event = make_event(store, starts_in=timedelta(hours=-1), theme="试驾日")
    invitation = make_invitation(
        event, factory.lead(owner=consultant, name="王先生"), inviter=consultant, headcount=2
    )
    context, page = _door_tablet(browser, browser_login, live_server, clerk, event)
    scan = page.locator("#scan-code")
    expect(scan).to_be_focused()
    page.keyboard.type(invitation.token)
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-outcome="ok"]')
    assert page.get_by_text("王先生").first.is_visible() and page.get_by_text("张伟").first.is_visible()
    assert page.locator('[data-counter="arrived"]').first.inner_text() == "1"
    # the field is cleared and keeps focus for the next guest
    expect(scan).to_have_value("")
    page.locator("h1").click()
    expect(scan).to_be_focused()  # the page gives the focus back to the scan field
    page.keyboard.type(f"https://example.test/r/{invitation.token.lower()}")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-outcome="already"]')
    assert "李娜" in page.locator("#door-result").inner_text()
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    # tap target size on the tablet
    box = page.locator("#scan-form button[type=submit]").bounding_box()
    assert box["height"] >= 44
    context.close()


@pytest.mark.browser
def test_door_check_in_survives_a_dropped_connection(browser, live_server, browser_login, factory):
    store = factory.store()
    clerk = factory.user("clerk", store)
    event = make_event(store, starts_in=timedelta(hours=-1))
    invitation = make_invitation(event, factory.lead(name="赵女士"))
    context, page = _door_tablet(browser, browser_login, live_server, clerk, event)
    context.set_offline(True)
    page.keyboard.type(invitation.token)
    page.keyboard.press("Enter")
    page.wait_for_selector("#door-pending:not([hidden])")
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
    context.set_offline(False)
    page.wait_for_selector('[data-outcome="ok"], [data-outcome="repeat"]', timeout=10000)
    page.wait_for_selector("#door-pending", state="hidden")
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    context.close()


@pytest.mark.browser
def test_door_keeps_scanning_offline_and_sends_every_scan_once_even_after_a_reload(
    browser, live_server, browser_login, factory
):
    store = factory.store()
    clerk = factory.user("clerk", store)
    event = make_event(store, starts_in=timedelta(hours=-1))
    guests = [make_invitation(event, factory.lead(name=name)) for name in ("赵女士", "钱先生", "孙女士")]
    context, page = _door_tablet(browser, browser_login, live_server, clerk, event)
    scan = page.locator("#scan-code")
    page.keyboard.type(guests[0].token)
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-outcome="ok"]')
    context.set_offline(True)
    for guest in guests[1:]:  # the scanner goes on typing codes while the network is down
        expect(scan).to_be_focused()
        page.keyboard.type(guest.token)
        page.keyboard.press("Enter")
        expect(scan).to_have_value("")
    expect(page.locator("#door-pending")).to_be_visible()
    expect(page.locator("#door-pending")).to_have_attribute("data-waiting", "2")
    expect(page.locator("#door-pending")).to_contain_text("(2)")
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    context.set_offline(False)
    page.reload()  # the waiting scans are kept on the tablet and sent from the new page
    expect(page.locator("#door-pending")).to_be_hidden(timeout=10000)
    db.session.expire_all()
    checked = db.session.scalars(select(CheckIn.invitation_id)).all()
    assert sorted(checked) == sorted(g.id for g in guests)
    expect(page.locator('[data-counter="arrived"]').first).to_have_text("3")
    context.close()
