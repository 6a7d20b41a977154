"""The lead entry form in a real browser: live duplicate warning and creating a lead."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.leads.models import Lead

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Chinese is the store staff's language: the browser asks for it."""
    return {**browser_context_args, "locale": "zh-CN"}


def test_duplicate_warning_appears_while_typing_a_known_phone(page, live_server, browser_login, factory, db):
    owner = factory.user("consultant", display_name="王丽")
    factory.lead(owner=owner, phone="+8613800138000")
    me = factory.user("consultant")
    db.session.commit()
    browser_login(page, me)
    page.goto(f"{live_server}/leads/new")
    page.locator("#phone").press_sequentially("138 0013 8000", delay=20)
    warning = page.locator("#phone-check .warn")
    warning.wait_for(timeout=5000)
    text = warning.inner_text()
    assert "王丽" not in text and "138****8000" in text  # someone else's customer: nobody named
    assert page.locator("#phone-check button", has_text="申请转移").count() == 1
    page.locator("#phone").fill("139 1111 2222")
    page.locator("#phone-check .ok").wait_for(timeout=5000)


def test_transfer_request_from_the_duplicate_warning(page, live_server, browser_login, factory, db):
    from app.leads.models import TransferRequest

    store = factory.store()
    factory.user("manager", store=store)
    owner = factory.user("consultant", store=store, display_name="王丽")
    lead = factory.lead(owner=owner, phone="+8613800138000")
    me = factory.user("consultant", store=store)
    db.session.commit()
    browser_login(page, me)
    page.goto(f"{live_server}/leads/new")
    page.locator("#phone").press_sequentially("138 0013 8000", delay=20)
    page.locator("#phone-check button", has_text="申请转移").click()
    page.locator("#reason").wait_for(timeout=5000)
    assert "138****8000" in page.content() and "?phone" not in page.url
    page.fill("#reason", "客户是我朋友")
    page.locator("button", has_text="提交申请").click()
    page.wait_for_url(f"{live_server}/leads/new")
    db.session.expire_all()
    assert db.session.execute(select(TransferRequest.lead_id)).scalar_one() == lead.id


def test_creating_a_lead_through_the_form(page, live_server, browser_login, factory, db):
    me = factory.user("consultant")
    db.session.commit()
    browser_login(page, me)
    page.goto(f"{live_server}/leads/new")
    page.fill("#name", "陈晨")
    page.fill("#phone", "+86 139-1234-5678")
    page.select_option("#gender", "female")
    page.select_option("#source_channel", label="官网")
    page.select_option("#model", index=1)
    page.select_option("#grade", index=1)
    page.fill("#expected_purchase_date", (date.today() + timedelta(days=5)).isoformat())
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(re.compile(r".*/leads/\d+$"), timeout=5000)
    assert "陈晨" in page.locator("h1").inner_text()
    assert "139 1234 5678" in page.content()
    db.session.expire_all()
    lead = db.session.execute(select(Lead)).scalar_one()
    assert lead.phone == "+8613912345678" and lead.owner_id == me.id


def test_invalid_entry_shows_the_errors_in_place(page, live_server, browser_login, factory, db):
    me = factory.user("consultant")
    db.session.commit()
    browser_login(page, me)
    page.goto(f"{live_server}/leads/new")
    page.fill("#phone", "12345")
    page.click("button[type=submit].btn-primary")
    page.locator("#phone-error").wait_for(timeout=5000)
    assert "请输入有效的手机号码" in page.locator("#phone-error").inner_text()
    assert "请输入客户姓名" in page.content()
    assert page.url.endswith("/leads/new")
