"""A clerk on a tablet registers a walk-in who leaves contact info; a known phone is flagged."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.leads.models import Lead
from app.showroom.models import ShowroomVisit


@pytest.fixture
def tablet(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.browser
def test_clerk_registers_walk_in_with_contact_and_sees_duplicate_warning(
    tablet, live_server, browser_login, factory, db
):
    store = factory.store("BJ01")
    consultant = factory.user("consultant", store, display_name="王丽")
    clerk = factory.user("clerk", store)
    factory.lead(owner=consultant, phone="+8613900001111", name="老客户")
    db.session.commit()
    page = tablet
    browser_login(page, clerk)
    page.goto(f"{live_server}/showroom/reception")
    contact = page.locator("#contact-fields")
    expect(contact).to_be_hidden()
    page.locator("#walkin-form").get_by_text("王丽").tap()
    page.locator("input[name=left_contact][value=yes]").tap()
    expect(contact).to_be_visible()
    phone = page.locator("input[name=phone]")
    phone.fill("139 0000 1111")
    expect(page.locator("[data-phone-status=visible]")).to_be_visible()
    phone.fill("13922223333")
    expect(page.locator("[data-phone-status=new]")).to_be_visible()
    page.locator("input[name=name]").fill("新客户")
    page.locator("button.btn-huge").tap()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("[data-stat=retention]")).to_have_text("100.0%")
    lead = db.session.execute(select(Lead).where(Lead.name == "新客户")).scalar_one()
    assert lead.owner_id == consultant.id
    assert db.session.execute(select(ShowroomVisit.lead_id)).scalar() == lead.id
